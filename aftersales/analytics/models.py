"""Analytics' own tables: metric targets (考核值), the below-target alerts already raised and the
leads' proposed actions per 复盘 report section."""

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import UTCDateTime


class MetricTarget(Base):
    """One 考核值: a metric's target for a level (agent, group, shop, platform) and optionally one subject.

    ``subject`` "" is the default for every subject of the level; a named subject overrides it.
    """

    __tablename__ = "analytics_metric_targets"
    __table_args__ = (UniqueConstraint("metric", "level", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(128), default="")
    value: Mapped[float] = mapped_column(Float)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ScorecardAlert(Base):
    """A subject below its target over one period; unique so a rerun of the check alerts once."""

    __tablename__ = "analytics_scorecard_alerts"
    __table_args__ = (
        UniqueConstraint(
            "metric",
            "level",
            "subject",
            "period_start",
            "period_end",
            name="uq_analytics_scorecard_alerts_period",
        ),
        Index("ix_analytics_scorecard_alerts_agent_id_created_at", "agent_id", "created_at"),
        Index("ix_analytics_scorecard_alerts_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    metric: Mapped[str] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(16))
    subject: Mapped[str] = mapped_column(String(128))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    actual: Mapped[float] = mapped_column(Float)
    target: Mapped[float] = mapped_column(Float)
    sample: Mapped[int] = mapped_column(Integer, comment="cases behind the actual value")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    notified: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReportAction(Base):
    """A lead's proposed action (提升计划) for one section of one 复盘 report, edited before sending.

    A report is its scope: the date range, the platform ("" for all) and the shop (0 for all).
    Without a row the report proposes the action it derives from the data.
    """

    __tablename__ = "analytics_report_actions"
    __table_args__ = (
        UniqueConstraint(
            "period_start",
            "period_end",
            "platform",
            "shop_id",
            "section",
            name="uq_analytics_report_actions_section",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    platform: Mapped[str] = mapped_column(String(16), default="")
    shop_id: Mapped[int] = mapped_column(Integer, default=0)
    section: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
