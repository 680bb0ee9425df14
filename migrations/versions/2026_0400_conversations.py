"""conversations: chat sessions and messages

Revision ID: 0400
Revises: 0001
Create Date: 2026-11-25 16:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "0400"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("conversations",)
depends_on: str | Sequence[str] | None = "0100"

PLATFORMS = ("taobao", "tmall", "jd", "douyin", "pdd", "own")


def upgrade() -> None:
    op.create_table(
        "chat_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "platform", sa.Enum(*PLATFORMS, name="platform", native_enum=False, length=16), nullable=False
        ),
        sa.Column("session_key", sa.String(length=128), nullable=False, comment="the platform's session id"),
        sa.Column(
            "customer_account", sa.String(length=128), nullable=True, comment="buyer nick on the platform"
        ),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True, comment="linked ticket (tickets.id)"),
        sa.Column("agent_id", sa.Integer(), nullable=True, comment="first human agent"),
        sa.Column("started_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_customer_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_response_seconds", sa.Integer(), nullable=True),
        sa.Column("avg_response_seconds", sa.Integer(), nullable=True),
        sa.Column("max_response_seconds", sa.Integer(), nullable=True),
        sa.Column("responses", sa.Integer(), nullable=False, comment="agent replies that answered a wait"),
        sa.Column("customer_messages", sa.Integer(), nullable=False),
        sa.Column("agent_messages", sa.Integer(), nullable=False),
        sa.Column("bot_messages", sa.Integer(), nullable=False),
        sa.Column(
            "handling",
            sa.Enum(
                "bot_only",
                "transferred",
                "human",
                "unanswered",
                name="handling",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("transferred_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "repeat_contact",
            sa.Boolean(),
            nullable=False,
            comment="the customer came back about the same order within 24 h",
        ),
        sa.Column(
            "repeat_of_session_id", sa.Integer(), nullable=True, comment="earlier session this one repeats"
        ),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_chat_sessions_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_chat_sessions_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_chat_sessions_order_id_orders")),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_chat_sessions_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_sessions")),
        sa.UniqueConstraint("shop_id", "session_key", name=op.f("uq_chat_sessions_shop_id_session_key")),
    )
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.create_index("ix_chat_sessions_shop_id_started_at", ["shop_id", "started_at"], unique=False)
        batch_op.create_index("ix_chat_sessions_started_at", ["started_at"], unique=False)
        batch_op.create_index("ix_chat_sessions_order_id", ["order_id"], unique=False)
        batch_op.create_index(
            "ix_chat_sessions_agent_id_started_at", ["agent_id", "started_at"], unique=False
        )
        batch_op.create_index("ix_chat_sessions_ticket_id", ["ticket_id"], unique=False)

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column(
            "source_id",
            sa.String(length=64),
            nullable=False,
            comment="platform message id, or a hash of time+sender+text",
        ),
        sa.Column(
            "sender",
            sa.Enum("customer", "agent", "bot", name="sender", native_enum=False, length=12),
            nullable=False,
        ),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("sent_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column(
            "agent_account", sa.String(length=64), nullable=True, comment="agent sub-account as exported"
        ),
        sa.Column(
            "response_seconds", sa.Integer(), nullable=True, comment="for agent replies: the wait answered"
        ),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_chat_messages_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["chat_sessions.id"],
            name=op.f("fk_chat_messages_session_id_chat_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint("session_id", "source_id", name=op.f("uq_chat_messages_session_id_source_id")),
    )
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.create_index("ix_chat_messages_session_id_sent_at", ["session_id", "sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("chat_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_messages_session_id_sent_at")
    op.drop_table("chat_messages")
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_chat_sessions_ticket_id")
        batch_op.drop_index("ix_chat_sessions_agent_id_started_at")
        batch_op.drop_index("ix_chat_sessions_order_id")
        batch_op.drop_index("ix_chat_sessions_started_at")
        batch_op.drop_index("ix_chat_sessions_shop_id_started_at")
    op.drop_table("chat_sessions")
