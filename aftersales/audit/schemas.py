from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


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
