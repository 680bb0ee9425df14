"""API shapes of the logistics domain (reads are built from rows, never the models themselves)."""

from datetime import datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, field_validator

from aftersales.kit.pii import mask_phone
from aftersales.kit.time import as_utc
from aftersales.logistics.models import (
    ANY_COURIER,
    Anomaly,
    AnomalyKind,
    AnomalyStatus,
    CareStatus,
    CareStep,
    Intercept,
    InterceptStatus,
)
from aftersales.messaging.service import explain
from aftersales.orders.couriers import courier_name
from aftersales.orders.models import Order, Shipment


class AnomalyRead(BaseModel):
    id: int
    kind: AnomalyKind
    kind_label: str
    status: AnomalyStatus
    shipment_id: int
    order_id: int
    order_no: str
    courier: str
    courier_name: str
    tracking_no: str
    last_location: str | None
    observed_at: datetime | None
    first_seen_at: datetime
    last_seen_at: datetime
    ticket_id: int | None
    message_queued: bool

    @classmethod
    def of(cls, anomaly: Anomaly, shipment: Shipment, order: Order) -> "AnomalyRead":
        kind = AnomalyKind(anomaly.kind)
        return cls(
            id=anomaly.id,
            kind=kind,
            kind_label=kind.label,
            status=AnomalyStatus(anomaly.status),
            shipment_id=shipment.id,
            order_id=order.id,
            order_no=order.source_id,
            courier=shipment.courier,
            courier_name=courier_name(shipment.courier),
            tracking_no=shipment.tracking_no,
            last_location=shipment.last_location,
            observed_at=anomaly.observed_at,
            first_seen_at=anomaly.first_seen_at,
            last_seen_at=anomaly.last_seen_at,
            ticket_id=anomaly.ticket_id,
            message_queued=anomaly.message_queued,
        )


class ScanResult(BaseModel):
    counts: dict[str, int]


class RuleIn(BaseModel):
    kind: AnomalyKind
    courier: str = Field(
        default=ANY_COURIER, max_length=16, description="courier code, or * for every courier"
    )
    threshold_hours: int = Field(ge=0, le=720)
    enabled: bool = True
    notify_customer: bool = False
    template_code: str | None = Field(default=None, max_length=64)


class RuleRead(RuleIn):
    model_config = ConfigDict(from_attributes=True)

    kind_label: str = ""


class RegionIn(BaseModel):
    province: str = Field(min_length=1, max_length=32)
    city: str = Field(default="", max_length=32)
    district: str = Field(default="", max_length=32)
    courier: str = Field(default=ANY_COURIER, max_length=16)
    reason: str = Field(min_length=1, max_length=200)
    valid_from: datetime | None = Field(default=None, description="naive = Asia/Shanghai; default now")
    valid_until: datetime | None = None

    @field_validator("valid_from", "valid_until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None


class RegionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    province: str
    city: str
    district: str
    courier: str
    reason: str
    valid_from: datetime
    valid_until: datetime | None


class InterceptRead(BaseModel):
    id: int
    order_id: int
    order_no: str
    refund_request_id: int
    courier: str
    courier_name: str
    tracking_no: str
    status: InterceptStatus
    status_label: str
    goods_value_fen: int
    refund_requested_at: datetime
    requested_at: datetime | None
    resolved_at: datetime | None
    detail: str | None

    @classmethod
    def of(cls, intercept: Intercept, shipment: Shipment, order: Order) -> "InterceptRead":
        status = InterceptStatus(intercept.status)
        return cls(
            id=intercept.id,
            order_id=order.id,
            order_no=order.source_id,
            refund_request_id=intercept.refund_request_id,
            courier=intercept.courier,
            courier_name=courier_name(intercept.courier),
            tracking_no=shipment.tracking_no,
            status=status,
            status_label=status.label,
            goods_value_fen=intercept.goods_value_fen,
            refund_requested_at=intercept.refund_requested_at,
            requested_at=intercept.requested_at,
            resolved_at=intercept.resolved_at,
            detail=intercept.detail,
        )


class CourierStatsRead(BaseModel):
    courier: str
    courier_name: str
    requests: int
    succeeded: int
    failed: int
    pending: int
    success_rate: float | None
    saved_fen: int


class InterceptStatsRead(BaseModel):
    requests: int
    succeeded: int
    failed: int
    pending: int
    success_rate: float | None
    saved_fen: int = Field(description="goods value of successful intercepts, fen")
    median_seconds_to_request: float | None
    mean_seconds_to_request: float | None
    by_courier: list[CourierStatsRead]

    @classmethod
    def of(cls, stats: Any) -> "InterceptStatsRead":
        return cls(
            requests=stats.requests,
            succeeded=stats.succeeded,
            failed=stats.failed,
            pending=stats.pending,
            success_rate=stats.success_rate,
            saved_fen=stats.saved_fen,
            median_seconds_to_request=stats.median_seconds_to_request,
            mean_seconds_to_request=stats.mean_seconds_to_request,
            by_courier=[
                CourierStatsRead(
                    courier=c.courier,
                    courier_name=courier_name(c.courier),
                    requests=c.requests,
                    succeeded=c.succeeded,
                    failed=c.failed,
                    pending=c.pending,
                    success_rate=c.success_rate,
                    saved_fen=c.saved_fen,
                )
                for c in stats.by_courier
            ],
        )


class CareReplyIn(BaseModel):
    order_id: int = Field(ge=1, le=2_147_483_647)
    text: str = Field(min_length=1, max_length=2000)
    received_at: datetime | None = Field(default=None, description="naive = Asia/Shanghai; default now")

    @field_validator("received_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None


class CareRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    step: CareStep
    status: CareStatus
    due_at: datetime
    sent_at: datetime | None
    reply_text: str | None
    replied_at: datetime | None
    reply_negative: bool | None
    ticket_id: int | None


class TemplateIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    body: str = Field(min_length=1, max_length=2000)
    channel: str = Field(default="platform_im", max_length=32)
    subject: str | None = Field(default=None, max_length=200)


class TemplateRead(TemplateIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    is_active: bool


class OutboxRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    destination: str
    status: str
    attempts: int
    max_attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    priority: int
    expires_at: datetime | None
    reason: dict[str, Any] | None = Field(description="why it was written: rule, finding, parcel, template")
    why: str = Field("", description="the reason in words, as the console shows it")


def masked_destination(channel: str, destination: str, *, reveal: bool) -> str:
    """Phone numbers and email addresses are customer PII: masked unless the reader may see them."""
    if reveal:
        return destination
    if channel == "sms":
        return mask_phone(destination) or ""
    if channel == "email" and "@" in destination:
        local, _, domain = destination.partition("@")
        return f"{local[:1]}***@{domain}"
    return destination


def outbox_read(message: Any, *, reveal: bool) -> OutboxRead:
    read = OutboxRead.model_validate(message)
    read.why = explain(message.reason)
    read.destination = masked_destination(message.channel, message.destination, reveal=reveal)
    return read


class RegionImportRead(BaseModel):
    created: int
    updated: int
    held_orders: int = Field(description="orders to restricted regions flagged after the import")


# Shanghai wall-clock time as "HH:MM" on the wire: JSON Schema's "time" format demands a UTC
# offset, which a quiet-hours setting in local time does not have.
ClockTime = Annotated[
    time,
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$", "examples": ["21:00"]}),
]


class CareSettingsIn(BaseModel):
    """A shop's care sequence: hours after delivery per step, quiet hours in Asia/Shanghai time."""

    care_delay_hours: int = Field(ge=1, le=720, description="签收关怀")
    usage_delay_hours: int = Field(ge=1, le=1440, description="使用回访")
    feedback_delay_hours: int = Field(ge=1, le=2160, description="评价邀请")
    quiet_start: ClockTime = Field(description="no care message from (Shanghai time)")
    quiet_end: ClockTime = Field(description="until (Shanghai time); equal to quiet_start = no quiet hours")
