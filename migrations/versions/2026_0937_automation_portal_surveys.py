"""automation: the portal's after-delivery survey (survey_link's page)

Revision ID: 0602_automation
Revises: 0601
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "0602_automation"
down_revision: str | Sequence[str] | None = "0601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False, comment="1-5"),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_portal_surveys_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_portal_surveys_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_surveys")),
        sa.UniqueConstraint("order_id", name=op.f("uq_portal_surveys_order_id")),
    )


def downgrade() -> None:
    op.drop_table("portal_surveys")
