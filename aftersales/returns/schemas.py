"""Request and response shapes of the returns API (pydantic), separate from the tables."""

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from aftersales.kit.time import as_utc
from aftersales.orders.couriers import courier_code
from aftersales.returns.models import (
    ApprovalStatus,
    Authority,
    OfferKind,
    OfferStatus,
    Outcome,
    PayoutKind,
    RefundState,
    RequestKind,
    RequestStatus,
    ReshipmentStatus,
    ShippingPayer,
)
from aftersales.returns.reasons import REASONS

Channel = Literal["api", "webhook", "csv", "console"]


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _known_reason(value: str) -> str:
    if value not in REASONS:
        raise ValueError(f"未知退货原因: {value}(可选: {', '.join(REASONS)})")
    return value


def _known_courier(value: str) -> str:
    try:
        return courier_code(value)
    except KeyError:
        raise ValueError(f"未知快递公司: {value}") from None


class ReturnRequestIn(BaseModel):
    """A request as a platform, a CSV row or the console sends it. Naive times are Shanghai time."""

    shop_code: str = Field(min_length=1, max_length=64)
    order_no: str = Field(min_length=1, max_length=64)
    request_no: str | None = Field(
        default=None, max_length=64, description="the platform's refund number; a repeat updates nothing"
    )
    kind: RequestKind
    reason_code: str
    reason_text: str | None = Field(default=None, max_length=2000)
    sku_code: str | None = Field(default=None, max_length=64)
    quantity: int = Field(default=1, ge=1, le=10_000)
    refund_fen: int | None = Field(default=None, ge=0, description="defaults to the item's or order's amount")
    requested_at: datetime | None = None
    channel: Channel = "api"
    return_courier: str | None = None
    return_tracking_no: str | None = Field(default=None, min_length=4, max_length=64)

    _reason = field_validator("reason_code")(_known_reason)
    _times = field_validator("requested_at")(_utc)

    @field_validator("return_courier")
    @classmethod
    def _courier(cls, value: str | None) -> str | None:
        return _known_courier(value) if value else None


class ReturnRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    platform: str
    source_id: str
    channel: str
    shop_id: int
    order_id: int
    customer_id: int
    sku_id: int | None
    quantity: int
    kind: RequestKind
    reason_code: str
    reason_text: str | None
    is_quality: bool
    refund_fen: int
    shipping_payer: ShippingPayer
    no_reason_eligible: bool
    window_ends_at: AwareDatetime | None
    status: RequestStatus
    outcome: Outcome | None
    refund_state: RefundState
    return_shipment_id: int | None
    warehouse_check: str | None
    ticket_id: int | None
    agent_id: int | None
    requested_at: AwareDatetime
    resolved_at: AwareDatetime | None


class OfferRead(BaseModel):
    """A proposed alternative to the return, in the shop's order of preference."""

    rank: int
    kind: OfferKind
    label: str
    amount_fen: int = 0
    rationale: str


class OffersIn(BaseModel):
    kinds: list[OfferKind] = Field(min_length=1, description="the proposals actually offered to the customer")


class ChoiceIn(BaseModel):
    accepted: OfferKind | None = Field(
        default=None, description="the offer the customer took; empty = declined all"
    )


class RetentionOfferRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    rank: int
    kind: OfferKind
    amount_fen: int
    status: OfferStatus
    offered_by: int | None
    offered_at: AwareDatetime
    responded_at: AwareDatetime | None


class CompensationIn(BaseModel):
    order_id: int
    amount_fen: int = Field(gt=0, description="integer fen; no floats")
    reason_code: str
    request_id: int | None = None
    ticket_id: int | None = None
    note: str | None = Field(default=None, max_length=2000)
    score_risk: bool = Field(
        default=False,
        description="the shop's score is at risk (complaint, bad review): allows the 300 % tier",
    )

    _reason = field_validator("reason_code")(_known_reason)


class CompensationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    order_id: int
    request_id: int | None
    approval_id: int | None
    ticket_id: int | None
    kind: PayoutKind
    authority: Authority
    amount_fen: int
    reason_code: str
    note: str | None
    agent_id: int | None
    paid_at: AwareDatetime


class ApprovalIn(CompensationIn):
    note: str = Field(min_length=2, max_length=2000, description="why the customer deserves more")


class DecisionIn(BaseModel):
    approve: bool
    note: str | None = Field(default=None, max_length=2000)


class ApprovalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    order_id: int
    request_id: int | None
    ticket_id: int | None
    amount_fen: int
    reason_code: str
    note: str
    score_risk: bool
    status: ApprovalStatus
    requested_by: int
    decided_by: int | None
    decision_note: str | None
    created_at: AwareDatetime
    decided_at: AwareDatetime | None


class ExtensionIn(BaseModel):
    order_id: int
    days: int = Field(ge=1, le=90)
    reason: str = Field(min_length=2, max_length=2000)
    request_id: int | None = None


class ReturnParcelIn(BaseModel):
    courier: str
    tracking_no: str = Field(min_length=4, max_length=64)
    shipped_at: datetime | None = None

    _courier = field_validator("courier")(_known_courier)
    _times = field_validator("shipped_at")(_utc)


class WarehouseCheckIn(BaseModel):
    passed: bool
    note: str | None = Field(default=None, max_length=2000)


class ReshipItem(BaseModel):
    sku_code: str | None = Field(default=None, max_length=64)
    title: str = Field(min_length=1, max_length=255)
    quantity: int = Field(default=1, ge=1, le=1000)


class ReshipmentIn(BaseModel):
    order_id: int
    items: list[ReshipItem] = Field(min_length=1, max_length=100)
    reason: str = Field(min_length=2, max_length=2000)
    request_id: int | None = None
    ticket_id: int | None = None
    receiver_name: str | None = Field(default=None, max_length=64)
    receiver_phone: str | None = Field(default=None, max_length=32)
    province: str | None = Field(default=None, max_length=32)
    city: str | None = Field(default=None, max_length=32)
    district: str | None = Field(default=None, max_length=32)
    address: str | None = Field(default=None, max_length=255, description="defaults to the order's address")


class ReshipmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    request_id: int | None
    ticket_id: int | None
    items: list[dict[str, Any]]
    reason: str
    courier_hint: str | None
    erp_format: str
    status: ReshipmentStatus
    shipment_id: int | None
    created_at: AwareDatetime
    shipped_at: AwareDatetime | None
    erp_sync: str = ""


class ErpCallbackIn(BaseModel):
    """What the ERP sends back once the reshipment leaves the warehouse."""

    out_order_no: str = Field(min_length=3, max_length=64, description="RS<id>, as we pushed it")
    courier: str
    tracking_no: str = Field(min_length=4, max_length=64)
    shipped_at: datetime | None = None

    _courier = field_validator("courier")(_known_courier)
    _times = field_validator("shipped_at")(_utc)


class PolicyIn(BaseModel):
    agent_ratio_bp: int = Field(ge=0, le=100_000)
    agent_cap_fen: int = Field(ge=0)
    supervisor_ratio_bp: int = Field(ge=0, le=100_000)
    early_refund_max_fen: int = Field(ge=0)
    retention_compensation_bp: int = Field(ge=0, le=10_000)
    retention_order: list[OfferKind]
    release_refund_on: Literal["accepted", "returned"]
    high_value_fen: int = Field(ge=0)
    repeat_window_days: int = Field(ge=0, le=365)
    max_extension_days: int = Field(ge=0, le=90)
    erp_format: Literal["generic", "wangdiantong", "jushuitan"]
    erp_url: str | None = Field(default=None, max_length=500, pattern=r"^https?://")
    erp_shop_no: str | None = Field(default=None, max_length=64)
    gift_sku_code: str | None = Field(
        default=None,
        max_length=64,
        description="SKU sent as the repeated-problem SOP gift; none = a gift line",
    )
    standard_ratio_bp: int = Field(
        default=10_000, ge=0, le=100_000, description="ceiling without a product fault or score risk"
    )
    gift_cap_30d: int = Field(default=1, ge=0, le=100, description="automatic gifts per customer in 30 days")
    gift_cap_90d: int = Field(default=2, ge=0, le=100, description="automatic gifts per customer in 90 days")
    compensation_cap_30d_fen: int = Field(default=30_000, ge=0, description="agent payouts per customer, 30d")
    compensation_cap_90d_fen: int = Field(default=60_000, ge=0, description="agent payouts per customer, 90d")
    serial_returner_requests: int = Field(
        default=5, ge=0, le=1000, description="requests in 30 days that flag a serial returner (0 = off)"
    )


class PhotoRefundRuleIn(BaseModel):
    """A shop's rule for refunding photographed quality damage directly (seed 004)."""

    is_active: bool = True
    sku_categories: list[str] = Field(default_factory=list, description="empty: every category")
    max_fen: int = Field(gt=0, description="largest direct refund, fen")
    min_photos: int = Field(default=1, ge=1, le=6)
    serial_window_days: int = Field(default=90, ge=1, le=365)
    serial_max_requests: int = Field(default=3, ge=1, description="earlier requests that bar the buyer")
