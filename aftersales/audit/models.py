from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


class AuditAction:
    REVEAL_PII = "reveal_pii"
    EXPORT_PII = "export_pii"


class AuditEntry(Base):
    """Append-only: one row per time someone saw data that is masked by default (who, what, why)."""

    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_subject", "subject_type", "subject_id", "created_at"),
        Index("ix_audit_entries_actor_id_created_at", "actor_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    fields: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    reason: Mapped[str] = mapped_column(Text)
    client_ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookReceipt(Base):
    """A signature that was already accepted: the same signed request a second time is a replay.

    Rows older than twice the timestamp tolerance are purged: such requests fail the timestamp
    check anyway, so the table stays small.
    """

    __tablename__ = "webhook_receipts"
    __table_args__ = (
        UniqueConstraint("source", "signature"),
        Index("ix_webhook_receipts_received_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
