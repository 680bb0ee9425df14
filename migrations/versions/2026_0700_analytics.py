"""analytics: metric targets (考核值) and scorecard alerts.

Revision ID: 0700
Revises: 0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "0700"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("analytics",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_metric_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_analytics_metric_targets_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_metric_targets")),
        sa.UniqueConstraint("metric", "level", "subject", name=op.f("uq_analytics_metric_targets_metric_level_subject")),
    )
    op.create_table(
        "analytics_scorecard_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("metric", sa.String(length=32), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("actual", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("sample", sa.Integer(), nullable=False, comment="cases behind the actual value"),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["users.id"], name=op.f("fk_analytics_scorecard_alerts_agent_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_scorecard_alerts")),
        sa.UniqueConstraint(
            "metric", "level", "subject", "period_start", "period_end",
            name="uq_analytics_scorecard_alerts_period",
        ),
    )
    with op.batch_alter_table("analytics_scorecard_alerts") as batch_op:
        batch_op.create_index("ix_analytics_scorecard_alerts_agent_id_created_at", ["agent_id", "created_at"])
        batch_op.create_index("ix_analytics_scorecard_alerts_created_at", ["created_at"])


def downgrade() -> None:
    with op.batch_alter_table("analytics_scorecard_alerts") as batch_op:
        batch_op.drop_index("ix_analytics_scorecard_alerts_created_at")
        batch_op.drop_index("ix_analytics_scorecard_alerts_agent_id_created_at")
    op.drop_table("analytics_scorecard_alerts")
    op.drop_table("analytics_metric_targets")
