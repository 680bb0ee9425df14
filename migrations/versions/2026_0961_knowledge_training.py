"""qc: coaching — the course catalogue (seeded with seed 004's four 课件), training plans per agent
and period with their topics (checkpoint, course, example sessions, completion) and 带教 mentor.

Revision ID: 0961_knowledge_training
Revises: 0450
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import aftersales.kit.types
from aftersales.qc.training_plans import DEFAULT_COURSES

revision: str = "0961_knowledge_training"
down_revision: str | Sequence[str] | None = "0450"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    courses = op.create_table(
        "training_courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=False),
        sa.Column("summary", sa.String(length=300), nullable=False),
        sa.Column("checkpoints", JSON, nullable=False, comment="QC checkpoint codes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_courses")),
        sa.UniqueConstraint("code", name=op.f("uq_training_courses_code")),
    )
    op.create_table(
        "training_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("period_start", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("period_end", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sessions", sa.Integer(), nullable=False, comment="inspected sessions of the period"),
        sa.Column(
            "average_score", sa.Integer(), nullable=False, comment="mean QC score of the period, rounded"
        ),
        sa.Column(
            "mentor_id", sa.Integer(), nullable=True, comment="the top agent coaching this tail agent (带教)"
        ),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        _fk("training_plans", "agent_id", "users", "CASCADE"),
        _fk("training_plans", "created_by", "users", "SET NULL"),
        _fk("training_plans", "mentor_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_plans")),
    )
    op.create_index("ix_training_plans_agent_id_period_end", "training_plans", ["agent_id", "period_end"])
    op.create_table(
        "training_topics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("checkpoint", sa.String(length=32), nullable=False),
        sa.Column("course_code", sa.String(length=32), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("example_sessions", JSON, nullable=False, comment="chat session ids"),
        sa.Column("completed_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.Integer(), nullable=True),
        _fk("training_topics", "completed_by", "users", "SET NULL"),
        _fk("training_topics", "plan_id", "training_plans", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_topics")),
        sa.UniqueConstraint("plan_id", "checkpoint", name=op.f("uq_training_topics_plan_id_checkpoint")),
    )
    op.bulk_insert(
        courses,
        [
            {"code": code, "title": title, "summary": summary, "checkpoints": list(checkpoints)}
            for code, title, summary, checkpoints in DEFAULT_COURSES
        ],
    )


def downgrade() -> None:
    op.drop_table("training_topics")
    op.drop_index("ix_training_plans_agent_id_period_end", table_name="training_plans")
    op.drop_table("training_plans")
    op.drop_table("training_courses")
