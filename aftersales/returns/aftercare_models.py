"""Tables of price protection (保价/退差价) and appeals (申诉) against a platform's ruling.

Kept beside ``models.py`` (which imports this module so the tables join the domain's metadata).
A price protection is one row per order line, unique, so a line is protected once whatever the
interleaving; its payout is an ordinary ledger row (``compensations``, kind ``price_protection``).
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.catalog.models import Platform, platform_enum
from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


class PriceProtectionRule(Base):
    """A shop's 保价 rule: a price drop within ``window_days`` of payment is refunded, for the
    listed SKU codes (empty = every SKU), up to ``max_per_order_fen`` in all per order."""

    __tablename__ = "price_protection_rules"
    __table_args__ = (UniqueConstraint("shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    window_days: Mapped[int] = mapped_column(Integer, comment="days after payment a drop is refunded")
    sku_codes: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    max_per_order_fen: Mapped[int] = mapped_column(Integer, comment="all differences of one order")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class PriceProtection(Base):
    """One refunded price difference: (paid unit - new unit) x quantity of one order line."""

    __tablename__ = "price_protections"
    __table_args__ = (UniqueConstraint("order_item_id"), Index("ix_price_protections_order_id", "order_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id"))
    paid_unit_fen: Mapped[int] = mapped_column(Integer)
    new_unit_fen: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    compensation_id: Mapped[int] = mapped_column(ForeignKey("compensations.id"))
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AppealStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WON = "won"
    LOST = "lost"


APPEAL_STATUS_LABELS = {
    AppealStatus.DRAFT: "草稿",
    AppealStatus.SUBMITTED: "已提交",
    AppealStatus.WON: "申诉成功",
    AppealStatus.LOST: "申诉失败",
}


class Appeal(Base):
    """The shop contests a platform's ruling (判责) about one order; evidence is chosen by the agent
    from the ticket (timeline, photos, tracking events, chat excerpts) and frozen into ``evidence``
    so the appeal shows what was sent even if the ticket changes later."""

    __tablename__ = "appeals"
    __table_args__ = (
        Index("ix_appeals_status_deadline_at", "status", "deadline_at"),
        Index("ix_appeals_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    platform: Mapped[Platform] = mapped_column(platform_enum())
    ruling: Mapped[str] = mapped_column(Text, comment="the platform's ruling as it reads")
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    statement: Mapped[str] = mapped_column(Text, default="")
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    status: Mapped[AppealStatus] = mapped_column(
        Enum(AppealStatus, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])
    )
    outcome_note: Mapped[str | None] = mapped_column(Text)
    topup_fen: Mapped[int] = mapped_column(Integer, default=0, comment="补款 the buyer paid afterwards")
    good_review: Mapped[bool] = mapped_column(
        Boolean, default=False, comment="好评 the buyer left afterwards"
    )
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
