"""Tables of the returns domain.

Money is integer fen; ratios are integer basis points (1 bp = 0.01 %), so every authority check
is exact integer arithmetic. Ledger rows keep their ticket link as ``SET NULL``: a payout is a
financial record and outlives any ticket housekeeping.
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

import aftersales.tickets.models  # noqa: F401  (tickets.id, the target of ticket_id)
from aftersales.catalog.models import Platform, platform_enum
from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


def _str_enum(cls: type[enum.StrEnum], length: int = 24) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class RequestKind(enum.StrEnum):
    RETURN = "return"
    EXCHANGE = "exchange"
    REFUND_ONLY = "refund_only"


class RequestStatus(enum.StrEnum):
    OPEN = "open"
    RETAINING = "retaining"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class Outcome(enum.StrEnum):
    """How a request ended; retention conversion is counted from ``kind`` -> ``outcome``."""

    REFUNDED = "refunded"
    EXCHANGED = "exchanged"
    COMPENSATED = "compensated"
    GUIDED = "guided"
    WITHDRAWN = "withdrawn"


class RefundState(enum.StrEnum):
    NONE = "none"
    PENDING = "pending"
    HELD_FOR_INTERCEPT = "held_for_intercept"
    INTERCEPT_FAILED = "intercept_failed"
    RELEASED = "released"


class ShippingPayer(enum.StrEnum):
    SELLER = "seller"
    CUSTOMER = "customer"


class ReturnPolicy(Base):
    """One shop's rules; a shop without a row uses ``policy.DEFAULTS``."""

    __tablename__ = "return_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), unique=True)
    agent_ratio_bp: Mapped[int] = mapped_column(Integer, comment="agent alone: share of paid amount, bp")
    agent_cap_fen: Mapped[int] = mapped_column(Integer, comment="agent alone: absolute cap")
    supervisor_ratio_bp: Mapped[int] = mapped_column(
        Integer, comment="with approval: share of paid amount, bp"
    )
    early_refund_max_fen: Mapped[int] = mapped_column(Integer, comment="early refund on pickup scan up to")
    retention_compensation_bp: Mapped[int] = mapped_column(Integer, comment="partial compensation offered")
    retention_order: Mapped[list[str]] = mapped_column(JSONType, comment="offer kinds in proposal order")
    release_refund_on: Mapped[str] = mapped_column(String(16), comment="accepted | returned")
    high_value_fen: Mapped[int] = mapped_column(Integer, comment="SOP: high-value order threshold")
    repeat_window_days: Mapped[int] = mapped_column(Integer, comment="SOP: repeated problem look-back")
    max_extension_days: Mapped[int] = mapped_column(Integer, comment="window extension an agent may grant")
    erp_format: Mapped[str] = mapped_column(String(16), comment="generic | wangdiantong")
    erp_url: Mapped[str | None] = mapped_column(String(500))
    erp_shop_no: Mapped[str | None] = mapped_column(String(64), comment="shop code in the ERP")
    gift_sku_code: Mapped[str | None] = mapped_column(String(64), comment="SOP gift: SKU sent")
    standard_ratio_bp: Mapped[int] = mapped_column(
        Integer, server_default="10000", comment="ceiling without a product fault or score risk, bp"
    )
    gift_cap_30d: Mapped[int] = mapped_column(
        Integer, server_default="1", comment="automatic gifts per customer"
    )
    gift_cap_90d: Mapped[int] = mapped_column(
        Integer, server_default="2", comment="automatic gifts per customer"
    )
    compensation_cap_30d_fen: Mapped[int] = mapped_column(
        Integer, server_default="30000", comment="agent compensation per customer in 30 days"
    )
    compensation_cap_90d_fen: Mapped[int] = mapped_column(
        Integer, server_default="60000", comment="agent compensation per customer in 90 days"
    )
    serial_returner_requests: Mapped[int] = mapped_column(
        Integer, server_default="5", comment="after-sales requests in 30 days that flag a serial returner"
    )
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReturnRequest(Base):
    """One return, exchange or refund-only request, keyed by its source like every ingested record."""

    __tablename__ = "return_requests"
    __table_args__ = (
        UniqueConstraint("platform", "source_id"),
        Index("ix_return_requests_status_requested_at", "status", "requested_at"),
        Index("ix_return_requests_order_id", "order_id"),
        Index("ix_return_requests_customer_id_requested_at", "customer_id", "requested_at"),
        Index("ix_return_requests_ticket_id", "ticket_id"),
        # covering: the retention conversion report (by agent, SKU or reason) reads only the index
        Index(
            "ix_return_requests_conversion",
            "is_quality",
            "agent_id",
            "sku_id",
            "reason_code",
            "kind",
            "outcome",
            "requested_at",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[Platform] = mapped_column(platform_enum())
    source_id: Mapped[str] = mapped_column(String(64), comment="platform refund number, or console-<n>")
    channel: Mapped[str] = mapped_column(String(16), comment="api | webhook | csv | console")
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[RequestKind] = mapped_column(_str_enum(RequestKind))
    reason_code: Mapped[str] = mapped_column(String(32))
    reason_text: Mapped[str | None] = mapped_column(Text)
    is_quality: Mapped[bool] = mapped_column(Boolean)
    refund_fen: Mapped[int] = mapped_column(Integer, comment="amount the customer asks back")
    shipping_payer: Mapped[ShippingPayer] = mapped_column(_str_enum(ShippingPayer))
    no_reason_eligible: Mapped[bool] = mapped_column(Boolean)
    window_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[RequestStatus] = mapped_column(_str_enum(RequestStatus))
    outcome: Mapped[Outcome | None] = mapped_column(_str_enum(Outcome))
    refund_state: Mapped[RefundState] = mapped_column(_str_enum(RefundState))
    return_shipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipments.id", ondelete="SET NULL"), comment="the customer's return parcel"
    )
    warehouse_check: Mapped[str | None] = mapped_column(String(16), comment="passed | failed")
    warehouse_note: Mapped[str | None] = mapped_column(Text)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="who handled retention")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfferKind(enum.StrEnum):
    EXCHANGE_FREE_SHIPPING = "exchange_free_shipping"
    PARTIAL_COMPENSATION = "partial_compensation"
    REMOTE_GUIDANCE = "remote_guidance"


class OfferStatus(enum.StrEnum):
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class RetentionOffer(Base):
    """What was offered to keep the sale, and what the customer chose."""

    __tablename__ = "retention_offers"
    __table_args__ = (UniqueConstraint("request_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"))
    rank: Mapped[int] = mapped_column(Integer)
    kind: Mapped[OfferKind] = mapped_column(_str_enum(OfferKind, 32))
    amount_fen: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[OfferStatus] = mapped_column(_str_enum(OfferStatus))
    offered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    offered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PayoutKind(enum.StrEnum):
    COMPENSATION = "compensation"
    EARLY_REFUND = "early_refund"
    REFUND = "refund"
    PRICE_PROTECTION = "price_protection"


class Authority(enum.StrEnum):
    """Under which rule a payout was allowed; recorded with every ledger row."""

    AGENT = "agent"
    EARLY_REFUND = "early_refund"
    SUPERVISOR_APPROVAL = "supervisor_approval"
    SUPERVISOR = "supervisor"
    SHOP_RULE = "shop_rule"


class Compensation(Base):
    """The compensation ledger: every payout to a customer, append-only."""

    __tablename__ = "compensations"
    __table_args__ = (
        Index("ix_compensations_order_id", "order_id"),
        Index("ix_compensations_paid_at", "paid_at"),
        # covering: the ledger totals read only the index (agent x reason x kind, sum of amounts)
        Index("ix_compensations_ledger", "agent_id", "reason_code", "kind", "amount_fen", "paid_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("return_requests.id"))
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("compensation_approvals.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    kind: Mapped[PayoutKind] = mapped_column(_str_enum(PayoutKind))
    authority: Mapped[Authority] = mapped_column(_str_enum(Authority))
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), comment="who paid; empty for rules")
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApprovalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class CompensationApproval(Base):
    """An agent's request to pay beyond their authority; a supervisor accepts or rejects it."""

    __tablename__ = "compensation_approvals"
    __table_args__ = (Index("ix_compensation_approvals_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("return_requests.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason_code: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text)
    score_risk: Mapped[bool] = mapped_column(
        Boolean, server_default=text("false"), comment="the shop's score is at risk (seed 004: 300 % tier)"
    )
    status: Mapped[ApprovalStatus] = mapped_column(_str_enum(ApprovalStatus))
    requested_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class WindowExtension(Base):
    """An agent gave a customer more after-sales time (超期受理), with the reason."""

    __tablename__ = "window_extensions"
    __table_args__ = (Index("ix_window_extensions_order_id", "order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("return_requests.id"))
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class GiftStatus(enum.StrEnum):
    """Whether an SOP gift may go out: within the customer's caps it does at once (``auto``);
    beyond them it waits for a supervisor (``pending``) who approves or rejects it."""

    AUTO = "auto"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


SENDABLE_GIFTS = (GiftStatus.AUTO, GiftStatus.APPROVED)


class SopUpgrade(Base):
    """A higher-standard SOP that fired for a request (e.g. SF reshipment for a high-value defect)."""

    __tablename__ = "sop_upgrades"
    __table_args__ = (UniqueConstraint("request_id", "rule"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reshipment_id: Mapped[int | None] = mapped_column(
        ForeignKey("reshipments.id", ondelete="SET NULL"), comment="the reshipment that carried the gift"
    )
    status: Mapped[GiftStatus] = mapped_column(
        _str_enum(GiftStatus, 16), default=GiftStatus.AUTO, server_default="auto"
    )
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReshipmentStatus(enum.StrEnum):
    PUSHING = "pushing"
    SHIPPED = "shipped"


class Reshipment(Base):
    """A 补发 order pushed to the ERP through the outbox; the ERP calls back with the tracking number."""

    __tablename__ = "reshipments"
    __table_args__ = (
        Index("ix_reshipments_status_created_at", "status", "created_at"),
        Index("ix_reshipments_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("return_requests.id"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    receiver_name: Mapped[str | None] = mapped_column(String(64))
    receiver_phone: Mapped[str | None] = mapped_column(String(32))
    province: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    courier_hint: Mapped[str | None] = mapped_column(String(16), comment="sf when an SOP upgrade asks for it")
    erp_format: Mapped[str] = mapped_column(String(16))
    outbox_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[ReshipmentStatus] = mapped_column(_str_enum(ReshipmentStatus))
    shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id", ondelete="SET NULL"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PhotoRefundRule(Base):
    """Seed 004 (质量损坏类问题提供图片直接退款): a shop's rule for refunding quality damage on the
    buyer's photos, without a return parcel. Empty ``sku_categories`` means every category; the
    amount is capped by ``max_fen`` and by the agent's authority of the shop's policy."""

    __tablename__ = "photo_refund_rules"
    __table_args__ = (UniqueConstraint("shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    sku_categories: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    max_fen: Mapped[int] = mapped_column(Integer, comment="largest direct refund")
    min_photos: Mapped[int] = mapped_column(Integer, default=1)
    serial_window_days: Mapped[int] = mapped_column(Integer, default=90)
    serial_max_requests: Mapped[int] = mapped_column(
        Integer, default=3, comment="earlier requests that bar it"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


import aftersales.returns.aftercare_models  # noqa: E402,F401  (保价 and 申诉 tables join this metadata)
