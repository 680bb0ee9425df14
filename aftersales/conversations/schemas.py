from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aftersales.catalog.models import Platform
from aftersales.conversations.models import Handling, Sender
from aftersales.kit.time import as_utc


class MessageIn(BaseModel):
    """One chat message as a platform or an export delivers it; idempotent by ``source_id``."""

    shop_id: int
    platform: Platform
    session_key: str = Field(min_length=1, max_length=128)
    sender: Sender
    text: str = Field(min_length=1, max_length=10_000)
    sent_at: datetime
    agent_id: int | None = None
    agent_account: str | None = Field(default=None, max_length=64)
    order_id: int | None = None
    customer_account: str | None = Field(default=None, max_length=128)
    source_id: str | None = Field(default=None, max_length=64)

    @field_validator("sent_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)


class IngestResult(BaseModel):
    received: int
    created: int
    sessions: int


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sender: Sender
    text: str
    sent_at: datetime
    agent_id: int | None
    agent_account: str | None
    response_seconds: int | None


class SessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    platform: Platform
    session_key: str
    customer_account: str | None
    order_id: int | None
    ticket_id: int | None
    agent_id: int | None
    started_at: datetime
    ended_at: datetime
    first_response_seconds: int | None
    avg_response_seconds: int | None
    max_response_seconds: int | None
    customer_messages: int
    agent_messages: int
    bot_messages: int
    handling: Handling
    transferred_at: datetime | None
    repeat_contact: bool
    repeat_of_session_id: int | None


class SessionDetail(SessionRead):
    messages: list[MessageRead]


class TicketLink(BaseModel):
    ticket_id: int = Field(gt=0)
