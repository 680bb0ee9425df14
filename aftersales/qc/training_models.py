"""Tables of coaching (培训与带教): the course catalogue, per-agent plans and their topics.

A plan is made from QC findings over a period (a promotion, a month): each topic is a checkpoint
the agent failed most, with the course that teaches it and example sessions to go through; a tail
agent's plan names a top agent as mentor (带教). Completion is recorded per topic.
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


class TrainingCourse(Base):
    """A course of the catalogue and the checkpoints it teaches (seed 004's 课件 by default).

    ``shop_id`` NULL is the shared default catalogue, which nobody edits; a shop's own courses are
    added, edited and retired by supervisors. A retired course keeps its row: plans made before
    still name it, new plans no longer pick it.
    """

    __tablename__ = "training_courses"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(300), default="")
    checkpoints: Mapped[list[str]] = mapped_column(JSONType, default=list, comment="QC checkpoint codes")
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class TrainingPlan(Base):
    """One agent's plan for one period of QC findings."""

    __tablename__ = "training_plans"
    __table_args__ = (Index("ix_training_plans_agent_id_period_end", "agent_id", "period_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    sessions: Mapped[int] = mapped_column(Integer, comment="inspected sessions of the period")
    average_score: Mapped[int] = mapped_column(Integer, comment="mean QC score of the period, rounded")
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), comment="the top agent coaching this tail agent (带教)"
    )
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TrainingTopic(Base):
    """A checkpoint to train: how often it failed, the course, example sessions, completion."""

    __tablename__ = "training_topics"
    __table_args__ = (UniqueConstraint("plan_id", "checkpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("training_plans.id", ondelete="CASCADE"))
    checkpoint: Mapped[str] = mapped_column(String(32))
    course_code: Mapped[str | None] = mapped_column(String(32))
    failures: Mapped[int] = mapped_column(Integer)
    example_sessions: Mapped[list[int]] = mapped_column(JSONType, default=list, comment="chat session ids")
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
