from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


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


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor_id: int
    action: str
    subject_type: str
    subject_id: int
    fields: list[str]
    reason: str
    client_ip: str | None
    created_at: AwareDatetime


class WebhookAccepted(BaseModel):
    source: str
    received: int
    created: int
    rejected: list[dict[str, object]] = Field(default_factory=list)
    received_at: datetime
