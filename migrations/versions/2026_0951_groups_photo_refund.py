"""returns: photo_refund_rules, a shop's rule for refunding photographed quality damage directly (seed 004).

Revision ID: 0951_groups_photo_refund
Revises: 0302
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))
from sqlalchemy.dialects import postgresql

import aftersales.kit.types

revision: str = "0951_groups_photo_refund"
down_revision: str | Sequence[str] | None = "0302"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "photo_refund_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "sku_categories",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("max_fen", sa.Integer(), nullable=False, comment="largest direct refund"),
        sa.Column("min_photos", sa.Integer(), nullable=False),
        sa.Column("serial_window_days", sa.Integer(), nullable=False),
        sa.Column(
            "serial_max_requests", sa.Integer(), nullable=False, comment="earlier requests that bar it"
        ),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_photo_refund_rules_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photo_refund_rules")),
        sa.UniqueConstraint("shop_id", name=op.f("uq_photo_refund_rules_shop_id")),
    )


def downgrade() -> None:
    op.drop_table("photo_refund_rules")
