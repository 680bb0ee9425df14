import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from aftersales.catalog.models import Platform
from aftersales.conversations.models import (
    ChatMessage,
    FollowUpMode,
    Handling,
    RecommendationSource,
    Sender,
)
from aftersales.kit.pii import mask_phone
from aftersales.kit.time import as_utc

_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def mask_phones_in_text(text: str) -> str:
    return _MOBILE.sub(lambda m: mask_phone(m.group(0)) or "", text)


class MessageIn(BaseModel):
    """One chat message as a platform or an export delivers it; idempotent by ``source_id``.

    ``sent_at`` may be missing for exports that keep only the order of messages; such a message
    needs its own ``source_id`` (there is no time to hash) and is placed after the session's last.
    """

    shop_id: int
    platform: Platform
    session_key: str = Field(min_length=1, max_length=128)
    sender: Sender
    text: str = Field(min_length=1, max_length=10_000)
    sent_at: datetime | None = None
    agent_id: int | None = None
    agent_account: str | None = Field(default=None, max_length=64)
    order_id: int | None = None
    customer_account: str | None = Field(default=None, max_length=128)
    source_id: str | None = Field(default=None, max_length=64, validate_default=True)

    @field_validator("sent_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None

    @field_validator("source_id")
    @classmethod
    def _identifiable(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("sent_at") is None and not value:
            raise ValueError("没有发送时间(sent_at)的消息需要 source_id(消息编号),否则重复导入无法识别")
        return value


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

    @classmethod
    def for_reader(cls, message: ChatMessage, *, reveal: bool) -> "MessageRead":
        """Phone numbers customers type into the chat are masked like the order's."""
        read = cls.model_validate(message)
        return read if reveal else read.model_copy(update={"text": mask_phones_in_text(read.text)})


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
    times_known: bool
    repeat_contact: bool
    repeat_of_session_id: int | None


class SessionDetail(SessionRead):
    messages: list[MessageRead]


class TicketLink(BaseModel):
    ticket_id: int = Field(gt=0)


class RecommendationIn(BaseModel):
    """推荐商品 on a chat: the shop's SKU code."""

    sku_code: str = Field(min_length=1, max_length=64)


class RecommendationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    session_id: int
    agent_id: int | None
    customer_id: int | None
    sku_code: str
    recommended_at: datetime
    source: RecommendationSource


class FollowUpIn(BaseModel):
    order_id: int
    mode: FollowUpMode = FollowUpMode.MESSAGE
    note: str | None = Field(default=None, max_length=200)


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    agent_id: int | None
    mode: FollowUpMode
    template_code: str | None
    note: str | None
    followed_at: datetime


class DueOrderRead(BaseModel):
    """An unpaid order waiting for its 跟单."""

    order_id: int
    order_no: str
    shop_id: int
    buyer: str
    total_fen: int
    ordered_at: datetime


class WindowsIn(BaseModel):
    recommendation_days: int = Field(ge=1, le=30)
    unpaid_after_minutes: int = Field(ge=1, le=1440)
    follow_up_hours: int = Field(ge=1, le=168)
