"""conversations: product recommendations found in agents' chat messages, 跟单 (follow-ups) of
unpaid orders, and each shop's conversion windows

Revision ID: 2203_conversion
Revises: 0961_knowledge_training
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.kit.types import UTCDateTime

revision: str = "2203_conversion"
down_revision: str | Sequence[str] | None = "0961_knowledge_training"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "product_recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.Integer(), nullable=True, comment="the agent message that named it"),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=True, comment="the buyer"),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("sku_code", sa.String(length=64), nullable=False),
        sa.Column("recommended_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "source",
            sa.Enum("detected", "manual", name="recommendationsource", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_product_recommendations_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_product_recommendations_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["chat_messages.id"],
            name=op.f("fk_product_recommendations_message_id_chat_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_product_recommendations_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_product_recommendations_shop_id_shops")),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_product_recommendations_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_recommendations")),
        sa.UniqueConstraint("session_id", "sku_id", name=op.f("uq_product_recommendations_session_id_sku_id")),
    )
    op.create_index(
        "ix_product_recommendations_recommended_at", "product_recommendations", ["recommended_at"]
    )
    op.create_index("ix_product_recommendations_customer_id", "product_recommendations", ["customer_id"])
    op.create_table(
        "order_follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column(
            "mode",
            sa.Enum("message", "manual", name="followupmode", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("template_code", sa.String(length=64), nullable=True, comment="the 催付 template sent"),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("followed_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_order_follow_ups_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_follow_ups_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_order_follow_ups_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_follow_ups")),
        sa.UniqueConstraint("order_id", name=op.f("uq_order_follow_ups_order_id")),
    )
    op.create_index("ix_order_follow_ups_followed_at", "order_follow_ups", ["followed_at"])
    op.create_table(
        "conversion_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "recommendation_days",
            sa.Integer(),
            nullable=False,
            comment="a recommended SKU bought within this many days converts",
        ),
        sa.Column(
            "unpaid_after_minutes",
            sa.Integer(),
            nullable=False,
            comment="an unpaid order joins the 跟单 list after this many minutes",
        ),
        sa.Column(
            "follow_up_hours",
            sa.Integer(),
            nullable=False,
            comment="a followed-up order paid within this many hours converts",
        ),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_conversion_settings_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversion_settings")),
        sa.UniqueConstraint("shop_id", name=op.f("uq_conversion_settings_shop_id")),
    )


def downgrade() -> None:
    op.drop_table("conversion_settings")
    op.drop_index("ix_order_follow_ups_followed_at", table_name="order_follow_ups")
    op.drop_table("order_follow_ups")
    op.drop_index("ix_product_recommendations_customer_id", table_name="product_recommendations")
    op.drop_index("ix_product_recommendations_recommended_at", table_name="product_recommendations")
    op.drop_table("product_recommendations")
