"""returns: price_protection_rules, price_protections (保价/退差价) and appeals (申诉), issue 22.

Revision ID: 0960_appeals_price_protection
Revises: 0951_groups_photo_refund
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))
from sqlalchemy.dialects import postgresql

import aftersales.kit.types

revision: str = "0960_appeals_price_protection"
down_revision: str | Sequence[str] | None = "0951_groups_photo_refund"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _json() -> sa.types.TypeEngine:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _when() -> type[aftersales.kit.types.UTCDateTime]:
    return aftersales.kit.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "price_protection_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column(
            "window_days", sa.Integer(), nullable=False, comment="days after payment a drop is refunded"
        ),
        sa.Column("sku_codes", _json(), nullable=False),
        sa.Column("max_per_order_fen", sa.Integer(), nullable=False, comment="all differences of one order"),
        sa.Column("updated_at", _when()(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_price_protection_rules_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_protection_rules")),
        sa.UniqueConstraint("shop_id", name=op.f("uq_price_protection_rules_shop_id")),
    )
    op.create_table(
        "price_protections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=False),
        sa.Column("paid_unit_fen", sa.Integer(), nullable=False),
        sa.Column("new_unit_fen", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("compensation_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _when()(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_price_protections_shop_id_shops")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_price_protections_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"], ["order_items.id"], name=op.f("fk_price_protections_order_item_id_order_items")
        ),
        sa.ForeignKeyConstraint(
            ["compensation_id"],
            ["compensations.id"],
            name=op.f("fk_price_protections_compensation_id_compensations"),
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_price_protections_agent_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_protections")),
        sa.UniqueConstraint("order_item_id", name=op.f("uq_price_protections_order_item_id")),
    )
    op.create_index("ix_price_protections_order_id", "price_protections", ["order_id"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column(
            "platform",
            sa.Enum(
                "taobao", "tmall", "jd", "douyin", "pdd", "own", name="platform", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("ruling", sa.Text(), nullable=False, comment="the platform's ruling as it reads"),
        sa.Column("ruled_at", _when()(timezone=True), nullable=True),
        sa.Column("deadline_at", _when()(timezone=True), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("evidence", _json(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("draft", "submitted", "won", "lost", name="appealstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("outcome_note", sa.Text(), nullable=True),
        sa.Column("topup_fen", sa.Integer(), nullable=False, comment="补款 the buyer paid afterwards"),
        sa.Column("good_review", sa.Boolean(), nullable=False, comment="好评 the buyer left afterwards"),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", _when()(timezone=True), nullable=False),
        sa.Column("submitted_at", _when()(timezone=True), nullable=True),
        sa.Column("decided_at", _when()(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_appeals_shop_id_shops")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_appeals_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_appeals_ticket_id_tickets"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_appeals_created_by_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    op.create_index("ix_appeals_status_deadline_at", "appeals", ["status", "deadline_at"])
    op.create_index("ix_appeals_order_id", "appeals", ["order_id"])


def downgrade() -> None:
    op.drop_table("appeals")
    op.drop_table("price_protections")
    op.drop_table("price_protection_rules")
