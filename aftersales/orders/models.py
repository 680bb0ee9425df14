import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from aftersales.catalog.models import Platform, platform_enum
from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


def _str_enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class OrderStatus(enum.StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    SHIPPED = "shipped"
    COMPLETED = "completed"
    CLOSED = "closed"


class TrackingStatus(enum.StrEnum):
    COLLECTED = "collected"
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    FAILED = "failed"
    RETURNED = "returned"
    EXCEPTION = "exception"


class ShipmentDirection(enum.StrEnum):
    """Outbound parcels go to the buyer; return parcels come back from the buyer (退货寄回)."""

    OUTBOUND = "outbound"
    RETURN = "return"


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("platform", "source_id"), Index("ix_customers_phone", "phone"))

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[Platform] = mapped_column(platform_enum())
    source_id: Mapped[str] = mapped_column(String(128), comment="buyer account on the platform")
    name: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(32))
    province: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(32))
    is_vip: Mapped[bool] = mapped_column(Boolean, default=False)  # platform membership (88VIP, PLUS)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("platform", "source_id"),
        Index("ix_orders_shop_id_ordered_at", "shop_id", "ordered_at"),
        Index("ix_orders_customer_id", "customer_id"),
        Index("ix_orders_receiver_phone", "receiver_phone"),
        Index("ix_orders_province", "province"),
        Index("ix_orders_ordered_at", "ordered_at"),
        # logistics' incremental scan: orders whose promised date passed since the last scan
        Index("ix_orders_promised_delivery_at", "promised_delivery_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    platform: Mapped[Platform] = mapped_column(platform_enum())
    source_id: Mapped[str] = mapped_column(String(64), comment="platform order number")
    status: Mapped[OrderStatus] = mapped_column(_str_enum(OrderStatus))
    total_fen: Mapped[int] = mapped_column(Integer)
    paid_fen: Mapped[int] = mapped_column(Integer)
    postage_fen: Mapped[int] = mapped_column(Integer, default=0)
    receiver_name: Mapped[str | None] = mapped_column(String(64))
    receiver_phone: Mapped[str | None] = mapped_column(String(32))
    province: Mapped[str | None] = mapped_column(String(32))
    city: Mapped[str | None] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(255), comment="street part, after the district")
    buyer_message: Mapped[str | None] = mapped_column(Text)
    seller_note: Mapped[str | None] = mapped_column(Text)
    invoice_title: Mapped[str | None] = mapped_column(String(128))
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promised_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    items: Mapped[list["OrderItem"]] = relationship(lazy="raise", order_by="OrderItem.line_no")
    shipments: Mapped[list["Shipment"]] = relationship(lazy="raise", order_by="Shipment.id")


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (UniqueConstraint("order_id", "line_no"), Index("ix_order_items_sku_id", "sku_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    sku_code: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(255))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_fen: Mapped[int] = mapped_column(Integer)
    is_gift: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=text("false"), comment="a free gift line (赠品)"
    )


class Shipment(Base):
    """One parcel. An order with several is a split shipment (拆单)."""

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("courier", "tracking_no"),
        Index("ix_shipments_order_id", "order_id"),
        Index("ix_shipments_status_last_event_at", "status", "last_event_at"),
        Index("ix_shipments_shipped_at", "shipped_at"),
        # The 复盘 report's parcel trend and association groups read the index alone (migration 0703).
        Index(
            "ix_shipments_analytics_shipped",
            "shipped_at",
            "order_id",
            "courier",
            "status",
            "delivered_at",
            "estimated_delivery_at",
        ),
        # logistics' incremental scan: parcels whose estimate or a sibling's delivery crossed a
        # rule's threshold since the last scan (migration 0230)
        Index("ix_shipments_estimated_delivery_at", "estimated_delivery_at"),
        Index("ix_shipments_delivered_at", "delivered_at"),
        Index(
            "ix_shipments_open_shipped_at",
            "shipped_at",
            sqlite_where=text("delivered_at IS NULL"),
            postgresql_where=text("delivered_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    courier: Mapped[str] = mapped_column(String(16))
    tracking_no: Mapped[str] = mapped_column(String(64))
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime)
    estimated_delivery_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[TrackingStatus | None] = mapped_column(_str_enum(TrackingStatus))
    first_scan_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_location: Mapped[str | None] = mapped_column(String(128))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    item_summary: Mapped[str | None] = mapped_column(String(255), comment="what this parcel holds")
    is_reshipment: Mapped[bool] = mapped_column(Boolean, default=False)
    item_lines: Mapped[list[int] | None] = mapped_column(
        JSONType, comment="line_no of the order items this parcel carries, when the platform says"
    )
    direction: Mapped[ShipmentDirection] = mapped_column(
        _str_enum(ShipmentDirection), default=ShipmentDirection.OUTBOUND, server_default="outbound"
    )

    events: Mapped[list["TrackingEvent"]] = relationship(lazy="raise", order_by="TrackingEvent.occurred_at")


class TrackingEvent(Base):
    __tablename__ = "tracking_events"
    __table_args__ = (
        UniqueConstraint("shipment_id", "source_id"),
        Index("ix_tracking_events_shipment_id_occurred_at", "shipment_id", "occurred_at"),
        # logistics' incremental scan: parcels with an event in a time span (covering, 0230)
        Index("ix_tracking_events_occurred_at_shipment_id", "occurred_at", "shipment_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(64), comment="courier event id, or a hash of time+text")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[TrackingStatus] = mapped_column(_str_enum(TrackingStatus))
    location: Mapped[str | None] = mapped_column(String(128))
    raw_text: Mapped[str] = mapped_column(Text)


class CustomerValueRule(Base):
    """One shop's VIP rule: who counts as a valuable customer (seed 004: VIP专属通道 by the
    customer's history). A shop without a row uses ``customers.DEFAULT_RULE``."""

    __tablename__ = "customer_value_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), unique=True)
    window_days: Mapped[int] = mapped_column(Integer, comment="look-back for paid amount and orders")
    min_paid_fen: Mapped[int] = mapped_column(Integer, comment="paid within the window, fen")
    min_orders: Mapped[int] = mapped_column(Integer, comment="paid orders within the window")
    membership_counts: Mapped[bool] = mapped_column(Boolean, comment="platform membership makes VIP")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class OrderRequestKey(Base):
    """An ``Idempotency-Key`` already used for one kind of request about one order, with what it
    made: a repeat of the request (a retry, a double click, a parallel copy) returns that result
    instead of paying or submitting again. ``fingerprint`` catches a key reused for other values."""

    __tablename__ = "order_request_keys"
    __table_args__ = (UniqueConstraint("order_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32), comment="compensation | refund | approval | …")
    key: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64), comment="sha256 of the request's values")
    result_id: Mapped[int] = mapped_column(Integer, comment="id of the row the first request made")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
