"""Logistics follow-up: anomaly rules and findings, restricted regions, interceptions, care steps.

The scan writes findings keyed by ``(shipment_id, kind)``, so rescans update a finding instead of
adding one. Importing this module also registers the message-template table and the customer
channels, which the logistics jobs rely on.
"""

import enum
from datetime import datetime, time

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

import aftersales.messaging.customer_channels  # noqa: F401  (registers platform_im, sms, email)
from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import UTCDateTime
from aftersales.messaging.templates import MessageTemplate  # noqa: F401  (its table ships in 0200)

ANY_COURIER = "*"


def _str_enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class AnomalyKind(enum.StrEnum):
    NO_FIRST_SCAN = "no_first_scan"
    NO_UPDATE = "no_update"
    STUCK_AT_HUB = "stuck_at_hub"
    DELIVERY_FAILED = "delivery_failed"
    RETURNED = "returned"
    LATE = "late"
    RESTRICTED_REGION = "restricted_region"
    SPLIT_LAGGING = "split_lagging"

    @property
    def label(self) -> str:
        return ANOMALY_LABELS[self]


ANOMALY_LABELS = {
    AnomalyKind.NO_FIRST_SCAN: "发货后未揽收",
    AnomalyKind.NO_UPDATE: "物流长时间未更新",
    AnomalyKind.STUCK_AT_HUB: "滞留中转站",
    AnomalyKind.DELIVERY_FAILED: "派送失败",
    AnomalyKind.RETURNED: "快件退回",
    AnomalyKind.LATE: "超时未送达",
    AnomalyKind.RESTRICTED_REGION: "停发地区",
    AnomalyKind.SPLIT_LAGGING: "拆单包裹滞后",
}


class AnomalyStatus(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class InterceptStatus(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    RETURNED = "returned"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"requested": "已申请", "accepted": "拦截成功", "returned": "已退回", "failed": "拦截失败"}[
            self
        ]


class CareStep(enum.StrEnum):
    CARE = "care"
    USAGE = "usage"
    FEEDBACK = "feedback"

    @property
    def label(self) -> str:
        return {"care": "签收关怀", "usage": "使用回访", "feedback": "评价邀请"}[self]


class CareStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENT = "sent"
    REPLIED = "replied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"  # its moment passed before it could be sent (see care.CARE_VALIDITY)


class AnomalyRule(Base):
    """One rule's threshold, per courier (``courier='*'`` is the default for all couriers)."""

    __tablename__ = "logistics_rules"
    __table_args__ = (UniqueConstraint("kind", "courier"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AnomalyKind] = mapped_column(_str_enum(AnomalyKind))
    courier: Mapped[str] = mapped_column(String(16), default=ANY_COURIER)
    threshold_hours: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    notify_customer: Mapped[bool] = mapped_column(Boolean, default=False)
    template_code: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Anomaly(Base):
    """A finding of one rule on one parcel; the follow-up (ticket, message) happens once."""

    __tablename__ = "logistics_anomalies"
    __table_args__ = (
        UniqueConstraint("shipment_id", "kind"),
        Index("ix_logistics_anomalies_status_kind", "status", "kind"),
        Index("ix_logistics_anomalies_followed_up_at", "followed_up_at"),
        Index("ix_logistics_anomalies_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    # No foreign key: the parcel's already cascades from the order, and checking a second one per
    # inserted finding was a fifth of the scan's CPU on PostgreSQL (migration 0210).
    order_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[AnomalyKind] = mapped_column(_str_enum(AnomalyKind))
    status: Mapped[AnomalyStatus] = mapped_column(_str_enum(AnomalyStatus), default=AnomalyStatus.OPEN)
    courier: Mapped[str] = mapped_column(String(16))
    observed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, comment="the time the rule measured from (shipped, last event, due date…)"
    )
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ticket_id: Mapped[int | None] = mapped_column(Integer, comment="tickets.id of the follow-up ticket")
    message_queued: Mapped[bool] = mapped_column(Boolean, default=False)


class ScanMark(Base):
    """A parcel whose tracking, shipment or order changed since the last scan (written by the
    domain-event handlers in the ingesting transaction); the next periodic scan takes and deletes
    the marks and evaluates those parcels. No foreign key: a mark is a hint, a deleted parcel's
    mark simply finds nothing."""

    __tablename__ = "logistics_scan_marks"

    shipment_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class ScanOrderMark(Base):
    """An order ingested since the last scan: the next periodic scan checks only these for new
    restricted-region holds (an unshipped order has no parcel to mark)."""

    __tablename__ = "logistics_scan_order_marks"

    order_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)


class ScanRun(Base):
    """One finished scan over the periodic horizon: the next incremental scan starts from its
    ``scanned_until`` and only if the rules and active regions are still ``config``."""

    __tablename__ = "logistics_scans"
    __table_args__ = (
        Index("ix_logistics_scans_window_hours_scanned_until", "window_hours", "scanned_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), comment="full or incremental")
    scanned_until: Mapped[datetime] = mapped_column(
        UTCDateTime, comment="the scan's now: rules measured from it"
    )
    window_hours: Mapped[int] = mapped_column(Integer, comment="parcels shipped this many hours before now")
    config: Mapped[str] = mapped_column(String(64), comment="hash of the rule thresholds and active regions")
    parcels: Mapped[int | None] = mapped_column(Integer, comment="parcels evaluated (incremental scans)")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RestrictedRegion(Base):
    """停发地区: couriers do not deliver there between the validity dates. Empty city/district =
    the whole province/city; ``courier='*'`` = every courier."""

    __tablename__ = "restricted_regions"
    __table_args__ = (
        UniqueConstraint("province", "city", "district", "courier"),
        Index("ix_restricted_regions_valid_until", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(32))
    city: Mapped[str] = mapped_column(String(32), default="")
    district: Mapped[str] = mapped_column(String(32), default="")
    courier: Mapped[str] = mapped_column(String(16), default=ANY_COURIER)
    reason: Mapped[str] = mapped_column(String(200))
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RegionHold(Base):
    """An order going to a restricted region: shipping is flagged and the buyer gets a notice."""

    __tablename__ = "region_holds"
    __table_args__ = (
        UniqueConstraint("order_id", "region_id"),
        Index("ix_region_holds_notified_at", "notified_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    region_id: Mapped[int] = mapped_column(ForeignKey("restricted_regions.id", ondelete="CASCADE"))
    shipped: Mapped[bool] = mapped_column(Boolean, comment="parcel already on its way when flagged")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Intercept(Base):
    """A request to a courier to stop a parcel and return it, triggered by a refund request."""

    __tablename__ = "parcel_intercepts"
    __table_args__ = (
        UniqueConstraint("shipment_id", "refund_request_id"),
        Index("ix_parcel_intercepts_status", "status"),
        Index("ix_parcel_intercepts_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    refund_request_id: Mapped[int] = mapped_column(Integer, comment="returns' request id")
    courier: Mapped[str] = mapped_column(String(16))
    status: Mapped[InterceptStatus] = mapped_column(
        _str_enum(InterceptStatus), default=InterceptStatus.REQUESTED
    )
    goods_value_fen: Mapped[int] = mapped_column(Integer, default=0)
    refund_requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, comment="sent to the courier")
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    courier_ref: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text, comment="courier's answer or failure reason")


class CareMessage(Base):
    """One step of the post-delivery care sequence for an order, and the buyer's reply to it."""

    __tablename__ = "care_messages"
    __table_args__ = (
        UniqueConstraint("order_id", "step"),
        Index("ix_care_messages_status_due_at", "status", "due_at"),
        Index("ix_care_messages_customer_id", "customer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    step: Mapped[CareStep] = mapped_column(_str_enum(CareStep))
    status: Mapped[CareStatus] = mapped_column(_str_enum(CareStatus), default=CareStatus.SCHEDULED)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_text: Mapped[str | None] = mapped_column(Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reply_negative: Mapped[bool | None] = mapped_column(Boolean)
    ticket_id: Mapped[int | None] = mapped_column(Integer)


class CareSettings(Base):
    """One shop's care sequence: the delay of each step after delivery and its quiet hours
    (Asia/Shanghai). A shop without a row uses ``care_settings.DEFAULT_PLAN``."""

    __tablename__ = "care_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), unique=True)
    care_delay_hours: Mapped[int] = mapped_column(Integer, comment="签收关怀, hours after delivery")
    usage_delay_hours: Mapped[int] = mapped_column(Integer, comment="使用回访, hours after delivery")
    feedback_delay_hours: Mapped[int] = mapped_column(Integer, comment="评价邀请, hours after delivery")
    quiet_start: Mapped[time] = mapped_column(Time, comment="nothing is sent from (Shanghai time)")
    quiet_end: Mapped[time] = mapped_column(Time, comment="until (Shanghai time); equal = no quiet hours")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
