"""Tables of the two-way group collaboration (seed 001 【群对接】).

- ``GroupBotApp``: what a group bot needs beyond its webhook to send photos and to hear replies:
  the platform app's credentials and callback keys, and whether the group is the courier's or
  the warehouse's (replies are labelled 快递回复 / 仓库回复 from it).
- ``TicketPhoto``: photo evidence of a ticket (the buyer's portal uploads and the agent's), kept
  with the ticket so a card can carry it whatever domain received it.
- ``GroupCard``: one card sent about a ticket to a group, with the fields as finally sent.
- ``GroupReply``: one group message received through a platform callback, matched to a ticket
  (or waiting in the supervisor's inbox), and the action it was turned into.
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


class GroupRole(enum.StrEnum):
    COURIER = "courier"
    WAREHOUSE = "warehouse"

    @property
    def reply_label(self) -> str:
        return "快递回复" if self is GroupRole.COURIER else "仓库回复"


class GroupBotApp(Base):
    """The platform app behind a group bot: Feishu app (app id/secret, verification token, encrypt
    key), DingTalk robot app (app secret signs its callbacks), WeCom app (corp id, token,
    EncodingAESKey)."""

    __tablename__ = "ticket_group_bot_apps"
    __table_args__ = (UniqueConstraint("bot_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bot_id: Mapped[int] = mapped_column(ForeignKey("ticket_group_bots.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(16), comment="courier or warehouse")
    app_id: Mapped[str | None] = mapped_column(String(100), comment="Feishu app id / WeCom corp id")
    app_secret: Mapped[str | None] = mapped_column(String(200), comment="Feishu / DingTalk app secret")
    token: Mapped[str | None] = mapped_column(String(200), comment="Feishu verification token / WeCom token")
    aes_key: Mapped[str | None] = mapped_column(String(200), comment="Feishu encrypt key / WeCom AES key")
    api_base: Mapped[str | None] = mapped_column(String(200), comment="open API host for image upload")
    send_cards: Mapped[bool] = mapped_column(Boolean, default=True, comment="routed tickets send a card")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TicketPhoto(Base):
    """A photo of a ticket; the bytes live in the row so a card is sent from one transaction."""

    __tablename__ = "ticket_photos"
    __table_args__ = (Index("ix_ticket_photos_ticket_id", "ticket_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16), comment="buyer or agent")
    original_name: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    md5: Mapped[str] = mapped_column(String(32))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GroupCard(Base):
    """A card as sent to one group (fields after the agent's edit, the photos chosen)."""

    __tablename__ = "ticket_group_cards"
    __table_args__ = (
        Index("ix_ticket_group_cards_ticket_id", "ticket_id"),
        Index("ix_ticket_group_cards_answered_at_created_at", "answered_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("ticket_groups.id", ondelete="CASCADE"))
    fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    photo_ids: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="first reply matched")


class GroupReply(Base):
    """A group message received from a platform; one row per platform message id (retries of the
    same callback are one reply)."""

    __tablename__ = "ticket_group_replies"
    __table_args__ = (
        UniqueConstraint("platform", "message_id"),
        Index("ix_ticket_group_replies_ticket_id", "ticket_id"),
        Index("ix_ticket_group_replies_handled_at_received_at", "handled_at", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bot_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_group_bots.id", ondelete="SET NULL"))
    platform: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    thread_id: Mapped[str | None] = mapped_column(String(128), comment="quoted / root message id")
    chat_id: Mapped[str | None] = mapped_column(String(128))
    sender: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16), comment="courier or warehouse")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    matched_by: Mapped[str | None] = mapped_column(String(16), comment="thread, number, tracking, manual")
    action: Mapped[str | None] = mapped_column(String(16), comment="intercept, reshipment or found")
    action_done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    action_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="matched or filed by hand")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
