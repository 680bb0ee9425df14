import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


class Area(enum.StrEnum):
    """Seed 001's five areas of checkpoints."""

    BASIC = "basic"
    COMPETENCE = "competence"
    EMOTION = "emotion"
    RISK = "risk"
    VOC = "voc"

    @property
    def label(self) -> str:
        return AREA_LABELS[self]


AREA_LABELS = {
    Area.BASIC: "基础服务规范",
    Area.COMPETENCE: "售后专业能力",
    Area.EMOTION: "顾客情绪监控",
    Area.RISK: "评价&客诉监控",
    Area.VOC: "VOC专项分析",
}


class AlertStatus(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    HANDLING = "handling"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return {"open": "待确认", "acknowledged": "已确认", "handling": "处理中", "closed": "已完结"}[
            self.value
        ]


def _enum(cls: type[enum.StrEnum], length: int = 16) -> Enum:
    return Enum(cls, native_enum=False, length=length, values_callable=lambda e: [m.value for m in e])


class QcShopSetting(Base):
    """Per-shop QC tunables: the pass mark and where alerts go."""

    __tablename__ = "qc_shop_settings"

    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    pass_score: Mapped[int] = mapped_column(Integer, default=80)
    alert_group_code: Mapped[str] = mapped_column(String(32), default="aftersales")
    high_alert_group_code: Mapped[str | None] = mapped_column(String(32), default="supervisors")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QcCheckpointSetting(Base):
    """A shop's override of one built-in checkpoint (weight, on/off, thresholds)."""

    __tablename__ = "qc_checkpoint_settings"
    __table_args__ = (UniqueConstraint("shop_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    weight: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QcMessageAnalysis(Base):
    """Emotion and risk of one customer message, written once when the message arrives."""

    __tablename__ = "qc_message_analyses"
    __table_args__ = (Index("ix_qc_message_analyses_session_id", "session_id"),)

    message_id: Mapped[int] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="CASCADE"), primary_key=True
    )
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    polarity: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(8))
    confidence: Mapped[float] = mapped_column(Float)
    risk_level: Mapped[str | None] = mapped_column(String(8))
    risks: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    model_version: Mapped[str] = mapped_column(String(32))


class QcSessionResult(Base):
    """A session's inspection: score, pass/fail, session emotion and risk (denormalised for reports)."""

    __tablename__ = "qc_session_results"
    __table_args__ = (
        Index("ix_qc_session_results_shop_id_started_at", "shop_id", "started_at"),
        Index("ix_qc_session_results_agent_id_started_at", "agent_id", "started_at"),
        Index("ix_qc_session_results_started_at", "started_at"),
        # Covering index of the analytics scorecard (migration 0701).
        Index("ix_qc_session_results_scorecard", "started_at", "agent_id", "score"),
        # Agent first (migration 0702): the scorecard's GROUP BY agent reads it in order, no sort.
        Index("ix_qc_session_results_scorecard_agent", "agent_id", "started_at", "score"),
    )

    session_id: Mapped[int] = mapped_column(
        ForeignKey("chat_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    platform: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    score: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool] = mapped_column(Boolean)
    emotion_polarity: Mapped[str] = mapped_column(String(8))
    emotion_label: Mapped[str] = mapped_column(String(8))
    negative_messages: Mapped[int] = mapped_column(Integer, default=0)
    risk_level: Mapped[str | None] = mapped_column(String(8))
    risk_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_checkpoints: Mapped[list[str]] = mapped_column(JSONType, default=list)
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QcFinding(Base):
    """One checkpoint's result on one session, with the evidence and any human overrule."""

    __tablename__ = "qc_findings"
    __table_args__ = (
        UniqueConstraint("session_id", "code"),
        Index("ix_qc_findings_code_final_passed", "code", "final_passed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    area: Mapped[Area] = mapped_column(_enum(Area))
    weight: Mapped[int] = mapped_column(Integer)
    auto_passed: Mapped[bool | None] = mapped_column(
        Boolean, comment="what the machine decided; NULL when it cannot be measured (无法计算)"
    )
    final_passed: Mapped[bool | None] = mapped_column(Boolean, comment="after any overrule")
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_messages.id", ondelete="SET NULL"), comment="evidence message"
    )
    evidence: Mapped[str | None] = mapped_column(String(200), comment="the phrase to highlight")
    detail: Mapped[str] = mapped_column(String(500), default="")
    overruled: Mapped[bool] = mapped_column(Boolean, default=False)
    overruled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    overruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overrule_reason: Mapped[str | None] = mapped_column(String(500))


class QcOverrule(Base):
    """Append-only record of every overrule: who changed which finding, from what to what, and why."""

    __tablename__ = "qc_overrules"
    __table_args__ = (Index("ix_qc_overrules_finding_id", "finding_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("qc_findings.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    old_passed: Mapped[bool] = mapped_column(Boolean)
    new_passed: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class QcAlert(Base):
    """At most one alert per session: a higher risk later escalates it instead of adding another."""

    __tablename__ = "qc_alerts"
    __table_args__ = (
        UniqueConstraint("session_id"),
        Index("ix_qc_alerts_status_raised_at", "status", "raised_at"),
        Index("ix_qc_alerts_shop_id_raised_at", "shop_id", "raised_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    level: Mapped[str] = mapped_column(String(8))
    kinds: Mapped[list[str]] = mapped_column(JSONType, default=list)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("chat_messages.id", ondelete="SET NULL"))
    phrase: Mapped[str] = mapped_column(String(200))
    status: Mapped[AlertStatus] = mapped_column(_enum(AlertStatus))
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handling_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handling_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    notified: Mapped[int] = mapped_column(Integer, default=0, comment="group bots reached")


class VocMention(Base):
    """A topic a customer raised in a message, attributed to a SKU of the session's order when known."""

    __tablename__ = "qc_voc_mentions"
    __table_args__ = (
        UniqueConstraint("message_id", "keyword"),
        Index("ix_qc_voc_mentions_sku_id_mentioned_at", "sku_id", "mentioned_at"),
        Index("ix_qc_voc_mentions_shop_id_mentioned_at", "shop_id", "mentioned_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("chat_messages.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("chat_sessions.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id"))
    topic: Mapped[str] = mapped_column(String(16))
    keyword: Mapped[str] = mapped_column(String(32))
    mentioned_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Coaching's tables live in their own module; importing it registers them with the models.
from aftersales.qc.training_models import TrainingCourse, TrainingPlan, TrainingTopic  # noqa: E402, F401
