import math
from datetime import datetime
from functools import partial
from operator import is_not
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from aftersales.kit.pii import mask_address, mask_name, mask_phone
from aftersales.kit.time import as_utc
from aftersales.kit.types import LONG_TEXT_CHARS, Fen, LongText, Quantity
from aftersales.orders.couriers import courier_code, courier_name
from aftersales.orders.models import Order, OrderStatus, Shipment, ShipmentDirection, TrackingStatus
from aftersales.orders.tracking import STATUS_LABELS


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


class OrderItemIn(BaseModel):
    sku_code: str | None = Field(default=None, max_length=64)
    title: str = Field(min_length=1, max_length=255)
    quantity: Quantity = 1
    unit_price_fen: Fen
    is_gift: bool = Field(default=False, description="a free gift line (赠品)")


class OrderIn(BaseModel):
    """One order as a platform or ERP sends it. Naive times are Asia/Shanghai wall time."""

    shop_code: str = Field(min_length=1, max_length=64)
    order_no: str = Field(min_length=1, max_length=64, description="the platform's order number")
    buyer_nick: str = Field(min_length=1, max_length=128)
    buyer_is_member: bool = Field(
        default=False, description="the buyer holds the platform's membership (88VIP, PLUS) as of this order"
    )
    status: OrderStatus
    total_fen: Fen
    paid_fen: Fen
    postage_fen: Fen = 0
    receiver_name: str | None = Field(default=None, max_length=64)
    receiver_phone: str | None = Field(default=None, max_length=32)
    province: str | None = Field(default=None, max_length=32)
    city: str | None = Field(default=None, max_length=32)
    district: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=255)
    buyer_message: LongText | None = None
    seller_note: LongText | None = None
    invoice_title: str | None = Field(default=None, max_length=128)
    ordered_at: datetime
    paid_at: datetime | None = None
    promised_delivery_at: datetime | None = None
    items: list[OrderItemIn] = Field(default_factory=list, max_length=500)

    _times = field_validator("ordered_at", "paid_at", "promised_delivery_at")(_utc)


class ShipmentIn(BaseModel):
    shop_code: str = Field(min_length=1, max_length=64)
    order_no: str = Field(min_length=1, max_length=64)
    courier: str = Field(description="courier code (zto, yto, sf…) or its Chinese name")
    tracking_no: str = Field(min_length=4, max_length=64)
    shipped_at: datetime
    estimated_delivery_at: datetime | None = None
    delivered_at: datetime | None = Field(
        default=None, description="when an export already knows the delivery; the parcel is then delivered"
    )
    item_summary: str | None = Field(default=None, max_length=255)
    is_reshipment: bool = False
    item_lines: list[int] | None = Field(
        default=None, max_length=500, description="line_no of the order's items in this parcel"
    )
    direction: ShipmentDirection = ShipmentDirection.OUTBOUND

    _times = field_validator("shipped_at", "estimated_delivery_at", "delivered_at")(_utc)

    @field_validator("courier")
    @classmethod
    def _known_courier(cls, value: str) -> str:
        try:
            return courier_code(value)
        except KeyError:
            raise ValueError(f"未知快递公司: {value}") from None


class TrackingEventIn(BaseModel):
    courier: str
    tracking_no: str = Field(min_length=4, max_length=64)
    occurred_at: datetime
    raw_text: str = Field(min_length=1, max_length=2000)
    location: str | None = Field(default=None, max_length=128)
    status: TrackingStatus | None = Field(default=None, description="derived from raw_text when omitted")
    event_id: str | None = Field(default=None, max_length=64)

    _courier = field_validator("courier")(ShipmentIn._known_courier.__func__)  # type: ignore[attr-defined]
    _times = field_validator("occurred_at")(_utc)


class IngestResult(BaseModel):
    received: int
    created: int
    updated_or_unchanged: int
    rejected: list[dict[str, Any]] = Field(default_factory=list)


class OrderItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line_no: int
    sku_id: int | None
    sku_code: str | None
    title: str
    quantity: int
    unit_price_fen: int


class TrackingEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    occurred_at: AwareDatetime
    status: TrackingStatus
    location: str | None
    raw_text: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


class ShipmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    courier: str
    tracking_no: str
    shipped_at: AwareDatetime
    estimated_delivery_at: AwareDatetime | None
    status: TrackingStatus | None
    first_scan_at: AwareDatetime | None
    last_event_at: AwareDatetime | None
    last_location: str | None
    delivered_at: AwareDatetime | None
    item_summary: str | None
    is_reshipment: bool
    direction: ShipmentDirection

    @property
    def courier_name(self) -> str:
        return courier_name(self.courier)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status] if self.status else "待揽收"


class ShipmentDetail(ShipmentRead):
    events: list[TrackingEventRead]


class OrderRead(BaseModel):
    """Phone, address and receiver name masked unless the reader may see PII; build with ``for_reader``."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    customer_id: int
    platform: str
    order_no: str = Field(validation_alias="source_id")
    status: OrderStatus
    total_fen: int
    paid_fen: int
    postage_fen: int
    receiver_name: str | None
    receiver_phone: str | None
    province: str | None
    city: str | None
    district: str | None
    address: str | None
    ordered_at: AwareDatetime
    paid_at: AwareDatetime | None
    promised_delivery_at: AwareDatetime | None
    pii_masked: bool = True

    @classmethod
    def for_reader(cls, order: Order, *, reveal: bool) -> "OrderRead":
        return cls.model_validate(_order_fields(order, reveal))


_ORDER_COLUMNS = (
    "id shop_id customer_id platform source_id status total_fen paid_fen postage_fen receiver_name "
    "receiver_phone province city district address ordered_at paid_at promised_delivery_at"
).split()


def _order_fields(order: Order, reveal: bool) -> dict[str, Any]:
    """Column values, masked here once: validators would mask again when FastAPI re-validates."""
    fields = {column: getattr(order, column) for column in _ORDER_COLUMNS}
    if not reveal:
        fields["receiver_phone"] = mask_phone(order.receiver_phone)
        fields["address"] = mask_address(order.address)
        fields["receiver_name"] = mask_name(order.receiver_name)
    return {**fields, "pii_masked": not reveal}


class OrderDetail(OrderRead):
    buyer_message: LongText | None = None
    seller_note: LongText | None = None
    invoice_title: str | None = None
    items: list[OrderItemRead] = Field(default_factory=list)
    shipments: list[ShipmentDetail] = Field(default_factory=list)

    @classmethod
    def for_order(cls, order: Order, shipments: list[Shipment], *, reveal: bool) -> "OrderDetail":
        return cls.model_validate(
            {
                **_order_fields(order, reveal),
                "buyer_message": order.buyer_message,
                "seller_note": order.seller_note,
                "invoice_title": order.invoice_title,
                "items": [OrderItemRead.model_validate(i) for i in order.items],
                "shipments": [ShipmentDetail.model_validate(s) for s in shipments],
            }
        )


class VipRuleIn(BaseModel):
    """A shop's VIP rule: the customer's value within ``window_days``, never ticket counts."""

    window_days: int = Field(default=365, ge=1, le=3650, description="统计窗口(天)")
    min_paid_fen: int = Field(default=200_000, ge=0, description="窗口内实付满(分)")
    min_orders: int = Field(default=5, ge=1, le=10_000, description="窗口内下单满(笔)")
    membership_counts: bool = Field(default=True, description="平台会员直接视为 VIP")


class RevealRequest(BaseModel):
    reason: str = Field(min_length=2, max_length=500, description="为什么需要看完整信息(写入审计日志)")


class OrderPii(BaseModel):
    """An order's contact data in full: only returned by the audited reveal route."""

    order_id: int
    receiver_name: str | None
    receiver_phone: str | None
    province: str | None
    city: str | None
    district: str | None
    address: str | None
    customer_phone: str | None
    audit_entry_id: int


Limits = tuple[list[tuple[str, int, int]], list[tuple[str, int | None, int | None]], list[str]]


def _limits(model: type[BaseModel]) -> Limits:
    """The lengths (shortest, longest) and bounds (lowest, highest) the model declares per field,
    and the fields without either (free text, if text: ``LongText`` at most)."""
    lengths, bounds, others = [], [], []
    for name, info in model.model_fields.items():
        found: dict[str, Any] = {}
        for item in info.metadata:
            for key in ("min_length", "max_length", "ge", "le"):
                if getattr(item, key, None) is not None:
                    found[key] = getattr(item, key)
        if "min_length" in found or "max_length" in found:
            lengths.append((name, found.get("min_length", 0), found.get("max_length", 1 << 62)))
        if "ge" in found or "le" in found:
            bounds.append((name, found.get("ge"), found.get("le")))
        if not found:
            others.append(name)
    return lengths, bounds, others


_LIMITS: dict[type[BaseModel], Limits] = {}


_is_not_none = partial(is_not, None)


def _present(values: list[Any] | None) -> list[Any]:
    return list(filter(_is_not_none, values)) if values else []


def plainly_invalid(model: type[BaseModel], columns: dict[str, list[Any]]) -> set[int]:
    """The rows (indexes into the columns) that ``model`` might refuse, checked a column at a time
    for bulk imports that do not build a model per row: the lengths and bounds the model declares,
    NUL or more than ``LONG_TEXT_CHARS`` in free text. A row it names may still be valid (ask the
    model, which also names the reason); a row it does not name is valid, given values of the
    types the model expects (required ones present). Each column is first checked as a whole
    (its shortest and longest value), and searched row by row only when it holds an offender."""
    limits = _LIMITS.get(model)
    if limits is None:
        limits = _LIMITS[model] = _limits(model)
    lengths, bounds, others = limits
    suspects: set[int] = set()
    for name, shortest, longest in lengths:
        present = _present(columns.get(name))
        if present and not shortest <= min(map(len, present)) <= max(map(len, present)) <= longest:
            suspects.update(
                i for i, v in enumerate(columns[name]) if v is not None and not shortest <= len(v) <= longest
            )
    for name, lowest, highest in bounds:
        present = _present(columns.get(name))
        low = -math.inf if lowest is None else lowest
        high = math.inf if highest is None else highest
        if present and not low <= min(present) <= max(present) <= high:
            suspects.update(i for i, v in enumerate(columns[name]) if v is not None and not low <= v <= high)
    for name in others:
        texts = [v for v in columns.get(name) or () if v.__class__ is str]
        if texts and (max(map(len, texts)) > LONG_TEXT_CHARS or "\x00" in "".join(texts)):
            suspects.update(
                i
                for i, v in enumerate(columns[name])
                if v.__class__ is str and (len(v) > LONG_TEXT_CHARS or "\x00" in v)
            )
    return suspects
