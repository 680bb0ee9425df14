from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from aftersales.kit.types import LongText
from aftersales.qc.models import AlertStatus, Area


class FindingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    area: Area
    weight: int
    auto_passed: bool | None
    final_passed: bool | None
    message_id: int | None
    evidence: str | None
    detail: str
    overruled: bool
    overruled_by_id: int | None
    overruled_at: datetime | None
    overrule_reason: str | None


class ResultRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    session_id: int
    shop_id: int
    platform: str
    agent_id: int | None
    started_at: datetime
    score: int
    passed: bool
    emotion_polarity: str
    emotion_label: str
    negative_messages: int
    risk_level: str | None
    risk_count: int
    failed_checkpoints: list[str]


class MessageAnalysisRead(BaseModel):
    message_id: int
    sender: str
    polarity: str | None
    label: str | None
    risks: list[dict[str, Any]]


class InspectionRead(BaseModel):
    result: ResultRead | None
    findings: list[FindingRead]
    messages: list[MessageAnalysisRead] = Field(default_factory=list)


class OverruleIn(BaseModel):
    passed: bool
    reason: str = Field(min_length=2, max_length=500)


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    session_id: int
    shop_id: int
    level: str
    kinds: list[str]
    message_id: int | None
    phrase: str
    status: AlertStatus
    raised_at: datetime
    escalated_at: datetime | None
    acknowledged_at: datetime | None
    handling_at: datetime | None
    closed_at: datetime | None
    note: str | None
    notified: int


class CloseIn(BaseModel):
    note: str = Field(min_length=1, max_length=2000)


class CheckpointRead(BaseModel):
    code: str
    area: Area
    name: str
    description: str
    weight: int
    enabled: bool
    params: dict[str, Any]


class CheckpointUpdate(BaseModel):
    weight: int | None = Field(default=None, ge=0, le=100)
    enabled: bool | None = None
    params: dict[str, int] | None = None


class ShopSettingIn(BaseModel):
    pass_score: int | None = Field(default=None, ge=0, le=100)
    alert_group_code: str | None = Field(default=None, min_length=1, max_length=32)
    high_alert_group_code: str | None = Field(default=None, max_length=32)


class ShopSettingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    shop_id: int
    pass_score: int
    alert_group_code: str
    high_alert_group_code: str | None


class ClassifyIn(BaseModel):
    texts: list[LongText] = Field(min_length=1, max_length=1000)


class TextAnalysis(BaseModel):
    text: str
    polarity: str
    label: str
    confidence: float
    risks: list[dict[str, Any]]


class CourseIn(BaseModel):
    """A shop's own course; the service checks the checkpoints and names the field in a 422."""

    title: str = Field(max_length=64)
    summary: str = Field(default="", max_length=300)
    checkpoints: list[str] = Field(max_length=20)


class CourseCreate(CourseIn):
    shop_id: int = Field(gt=0)


class CourseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    shop_id: int | None
    title: str
    summary: str
    checkpoints: list[str]
    retired_at: datetime | None
    agents: int = 0
    topics: int = 0
    completed: int = 0
