"""API shapes of the tickets domain (``XCreate`` / ``XUpdate`` / ``XRead``)."""

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from aftersales.kit.time import as_utc
from aftersales.tickets.models import FeedbackStatus, GroupKind, Severity, TicketStatus, TicketType
from aftersales.tickets.routing import CONDITION_KEYS

BOT_CHANNELS = ("wecom", "dingtalk", "feishu", "webhook")


def _minute(value: str) -> int:
    hours, _, minutes = value.partition(":")
    result = int(hours) * 60 + int(minutes or 0)
    if not 0 <= result <= 24 * 60:
        raise ValueError("时间应在 00:00-24:00 之间")
    return result


class TicketCreate(BaseModel):
    """A ticket opened by an agent; from an order the shop and customer come along."""

    order_id: int | None = None
    shop_id: int | None = None
    customer_id: int | None = None
    type: TicketType
    category: str = Field(min_length=1, max_length=64)
    subcategory: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, max_length=64)
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=10_000)
    severity: Severity = Severity.MEDIUM
    group_code: str | None = Field(default=None, max_length=32)
    assignee_id: int | None = None


class TicketUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    category: str | None = Field(default=None, min_length=1, max_length=64)
    subcategory: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, max_length=64)
    severity: Severity | None = None
    priority: int | None = Field(default=None, ge=1, le=4)
    type: TicketType | None = None


class TransitionIn(BaseModel):
    to: TicketStatus
    note: str | None = Field(default=None, max_length=2000)


class CommentIn(BaseModel):
    text: str = Field(min_length=1, max_length=10_000)
    internal: bool = False


class AssignIn(BaseModel):
    assignee_id: int | None = None
    group_code: str | None = Field(default=None, max_length=32)


class FollowUpIn(BaseModel):
    at: datetime
    note: str | None = Field(default=None, max_length=200)

    _at = field_validator("at")(as_utc)


class RatingIn(BaseModel):
    stars: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)


class TimelineRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    actor_id: int | None
    kind: str
    message: str
    is_internal: bool
    data: dict[str, Any]
    created_at: AwareDatetime


class TicketRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shop_id: int
    order_id: int | None
    customer_id: int | None
    type: TicketType
    category: str
    subcategory: str | None
    detail: str | None
    title: str
    description: str
    severity: Severity
    priority: int
    status: TicketStatus
    group_id: int | None
    assignee_id: int | None
    shift_id: int | None
    is_vip: bool
    sku_code: str | None
    amount_fen: int | None
    source: str
    source_key: str | None
    first_response_due_at: AwareDatetime | None
    resolution_due_at: AwareDatetime | None
    sla_due_at: AwareDatetime | None
    sla_warn_at: AwareDatetime | None
    sla_paused_seconds: int
    sla_breached: bool
    first_responded_at: AwareDatetime | None
    resolved_at: AwareDatetime | None
    closed_at: AwareDatetime | None
    follow_up_at: AwareDatetime | None
    follow_up_note: str | None
    rating_stars: int | None
    rating_comment: str | None
    created_at: AwareDatetime
    updated_at: AwareDatetime


class QueueRow(TicketRead):
    sla_state: str


class TicketDetail(TicketRead):
    timeline: list[TimelineRead]


class FeedbackCreate(BaseModel):
    department: str = Field(min_length=1, max_length=32)
    content: str = Field(min_length=1, max_length=5000)
    sku_code: str | None = Field(default=None, max_length=64)


class FeedbackAnswer(BaseModel):
    answer: str = Field(min_length=1, max_length=5000)


class FeedbackRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    department: str
    sku_code: str | None
    category: str
    subcategory: str | None
    content: str
    status: FeedbackStatus
    answer: str | None
    created_at: AwareDatetime
    answered_at: AwareDatetime | None


class HandoffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ticket_id: int
    shift_day: str
    from_shift_id: int
    to_shift_id: int
    from_user_id: int | None
    to_user_id: int | None
    last_note: str | None
    created_at: AwareDatetime
    acknowledged_at: AwareDatetime | None


class HandoffRun(BaseModel):
    shift_code: str = Field(min_length=1, max_length=16)


class TaxonomyCreate(BaseModel):
    parent_id: int | None = None
    name: str = Field(min_length=1, max_length=64, pattern=r"^[^/]+$")
    position: int = 0


class TaxonomyUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[^/]+$")
    position: int | None = None
    is_active: bool | None = None


class TaxonomyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    parent_id: int | None
    level: int
    name: str
    path: str
    position: int
    is_active: bool


class SlaPolicyIn(BaseModel):
    """Times as ``HH:MM`` local (Asia/Shanghai); ``00:00``-``24:00`` is around the clock."""

    name: str = Field(min_length=1, max_length=64)
    shop_id: int | None = None
    ticket_type: TicketType | None = None
    business_start: str = Field(default="09:00", pattern=r"^\d{1,2}:\d{2}$")
    business_end: str = Field(default="21:00", pattern=r"^\d{1,2}:\d{2}$")
    first_response_minutes: int = Field(default=20, ge=1, le=7 * 24 * 60)
    resolution_minutes: int | None = Field(default=None, ge=1, le=30 * 24 * 60)
    resolution_same_day: bool = False
    resolution_calendar: bool = False
    warn_percent: int = Field(default=75, ge=1, le=99)

    def columns(self) -> dict[str, Any]:
        start, end = _minute(self.business_start), _minute(self.business_end)
        if end <= start:
            raise ValueError("business_end must be after business_start")
        fields = self.model_dump(exclude={"business_start", "business_end"})
        return {**fields, "business_start_minute": start, "business_end_minute": end}


class SlaPolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    shop_id: int | None
    ticket_type: TicketType | None
    business_start_minute: int
    business_end_minute: int
    first_response_minutes: int
    resolution_minutes: int | None
    resolution_same_day: bool
    resolution_calendar: bool
    warn_percent: int


class ShiftIn(BaseModel):
    code: str = Field(min_length=1, max_length=16, pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=32)
    start: str = Field(pattern=r"^\d{1,2}:\d{2}$")
    end: str = Field(pattern=r"^\d{1,2}:\d{2}$")


class ShiftRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    start_minute: int
    end_minute: int


class RosterIn(BaseModel):
    shift_id: int | None


class RosterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    user_id: int
    shift_id: int


class RoutingRuleIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    position: int = 100
    is_active: bool = True
    conditions: dict[str, Any] = Field(default_factory=dict)
    set_group_code: str | None = Field(default=None, max_length=32)
    set_assignee_id: int | None = None
    set_priority: int | None = Field(default=None, ge=1, le=4)
    cc_group_code: str | None = Field(default=None, max_length=32)
    stop_processing: bool = False

    @field_validator("conditions")
    @classmethod
    def _known_conditions(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = set(value) - set(CONDITION_KEYS)
        if unknown:
            raise ValueError(f"未知条件: {', '.join(sorted(unknown))}(可用 {', '.join(CONDITION_KEYS)})")
        return value


class RoutingRuleRead(RoutingRuleIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


class GroupIn(BaseModel):
    code: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    name: str = Field(min_length=1, max_length=64)
    kind: GroupKind = GroupKind.TEAM


class GroupUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    kind: GroupKind | None = None


class GroupRead(GroupIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


class BotIn(BaseModel):
    channel: str = Field(description="wecom, dingtalk, feishu or webhook")
    name: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=8, max_length=400, pattern=r"^https?://")
    secret: str | None = Field(default=None, max_length=200)

    @field_validator("channel")
    @classmethod
    def _known_channel(cls, value: str) -> str:
        if value not in BOT_CHANNELS:
            raise ValueError(f"渠道应为 {'/'.join(BOT_CHANNELS)}")
        return value


class BotUpdate(BaseModel):
    """Fields left out stay as they are; ``secret: ""`` removes the signing secret."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    url: str | None = Field(default=None, min_length=8, max_length=400, pattern=r"^https?://")
    secret: str | None = Field(default=None, max_length=200)
    is_active: bool | None = None


class BotRead(BaseModel):
    """The signing secret is write-only: reads only say whether one is set."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    group_id: int
    channel: str
    name: str
    url: str
    is_active: bool
    has_secret: bool = False


class CustomerHistory(BaseModel):
    customer_id: int | None
    is_vip: bool
    ticket_count: int
    paid_fen: int
    orders: list[dict[str, Any]]
    tickets: list[TicketRead]


class BotAppIn(BaseModel):
    """The platform app behind a group robot: callback keys and the Feishu app for photo upload.
    Secrets are write-only (``BotAppRead`` says only whether each is set)."""

    role: Literal["courier", "warehouse"] = Field(description="replies read as 快递回复 or 仓库回复")
    app_id: str | None = Field(default=None, max_length=100, description="Feishu app id / WeCom corp id")
    app_secret: str | None = Field(default=None, max_length=200, description="Feishu / DingTalk app secret")
    token: str | None = Field(
        default=None, max_length=200, description="Feishu verification token / WeCom token"
    )
    aes_key: str | None = Field(
        default=None, max_length=200, description="Feishu encrypt key / WeCom AES key"
    )
    api_base: str | None = Field(default=None, max_length=200, pattern=r"^https?://")
    send_cards: bool = True


class BotAppRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    bot_id: int
    role: str
    app_id: str | None
    api_base: str | None
    send_cards: bool
    has_app_secret: bool
    has_token: bool
    has_aes_key: bool
    callback_path: str
