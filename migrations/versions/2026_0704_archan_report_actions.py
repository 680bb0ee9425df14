"""analytics: the lead's proposed action per 复盘 report section, saved before the report is sent.

Revision ID: 0704_archan_report_actions
Revises: 0703
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.kit.types import UTCDateTime

revision: str = "0704_archan_report_actions"
down_revision: str | Sequence[str] | None = "0703"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "analytics_report_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_analytics_report_actions_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_report_actions")),
        sa.UniqueConstraint(
            "period_start",
            "period_end",
            "platform",
            "shop_id",
            "section",
            name="uq_analytics_report_actions_section",
        ),
    )


def downgrade() -> None:
    op.drop_table("analytics_report_actions")
