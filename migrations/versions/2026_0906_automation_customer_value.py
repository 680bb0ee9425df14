"""automation: a shop's VIP rule from the customer's value, gift item lines, parcels' item lines

Revision ID: 0006_automation
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import aftersales.kit.types

revision: str = "0006_automation"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_value_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False, comment="look-back for paid amount and orders"),
        sa.Column("min_paid_fen", sa.Integer(), nullable=False, comment="paid within the window, fen"),
        sa.Column("min_orders", sa.Integer(), nullable=False, comment="paid orders within the window"),
        sa.Column(
            "membership_counts", sa.Boolean(), nullable=False, comment="platform membership makes VIP"
        ),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_customer_value_rules_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_value_rules")),
        sa.UniqueConstraint("shop_id", name=op.f("uq_customer_value_rules_shop_id")),
    )
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "is_gift",
                sa.Boolean(),
                nullable=False,
                server_default=sa.text("false"),
                comment="a free gift line (赠品)",
            )
        )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "item_lines",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=True,
                comment="line_no of the order items this parcel carries, when the platform says",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_column("item_lines")
    with op.batch_alter_table("order_items", schema=None) as batch_op:
        batch_op.drop_column("is_gift")
    op.drop_table("customer_value_rules")
