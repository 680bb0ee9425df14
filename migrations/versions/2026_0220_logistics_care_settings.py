"""logistics: care sequence settings per shop (step delays, quiet hours)

Revision ID: 0220
Revises: 0200
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "0220"
down_revision: str | Sequence[str] | None = "0210"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "care_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("care_delay_hours", sa.Integer(), nullable=False, comment="签收关怀, hours after delivery"),
        sa.Column("usage_delay_hours", sa.Integer(), nullable=False, comment="使用回访, hours after delivery"),
        sa.Column("feedback_delay_hours", sa.Integer(), nullable=False, comment="评价邀请, hours after delivery"),
        sa.Column("quiet_start", sa.Time(), nullable=False, comment="nothing is sent from (Shanghai time)"),
        sa.Column(
            "quiet_end", sa.Time(), nullable=False, comment="until (Shanghai time); equal = no quiet hours"
        ),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_care_settings_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_settings")),
        sa.UniqueConstraint("shop_id", name=op.f("uq_care_settings_shop_id")),
    )


def downgrade() -> None:
    op.drop_table("care_settings")
