from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


class OutboxStatus:
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    HELD = "held"  # 待处理: would have gone out broken; a supervisor decides
    EXPIRED = "expired"  # its moment passed before it could be sent; counted, never sent


class Priority:
    """Lower goes first: an SLA breach to the supervisors' group never waits behind a bulk send."""

    ALERT = 0
    NORMAL = 5
    BULK = 9


class OutboxMessage(Base):
    """A message written in the same transaction as its cause and delivered later with retries.

    ``idempotency_key`` is unique: the same cause never queues two messages, and receivers get
    the key so a redelivery after a crash is recognisable. ``expires_at``: an automatic message
    whose moment has passed is expired, not sent. ``reason``: why it was written (rule, finding,
    parcel, template and its version), shown beside the message in the console.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_priority_next_attempt_at", "status", "priority", "next_attempt_at"),
        Index("ix_outbox_messages_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    destination: Mapped[str] = mapped_column(String(500))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    priority: Mapped[int] = mapped_column(Integer, default=Priority.NORMAL)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
