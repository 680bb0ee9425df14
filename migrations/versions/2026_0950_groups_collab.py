"""tickets: group collaboration (seed 001 【群对接】): bot apps, ticket photos, cards sent, replies received.

Revision ID: 0950_groups_collab
Revises: 0104
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))
from sqlalchemy.dialects import postgresql

import aftersales.kit.types

revision: str = "0950_groups_collab"
down_revision: str | Sequence[str] | None = "0104"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_group_bot_apps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False, comment="courier or warehouse"),
        sa.Column("app_id", sa.String(length=100), nullable=True, comment="Feishu app id / WeCom corp id"),
        sa.Column("app_secret", sa.String(length=200), nullable=True, comment="Feishu / DingTalk app secret"),
        sa.Column(
            "token", sa.String(length=200), nullable=True, comment="Feishu verification token / WeCom token"
        ),
        sa.Column(
            "aes_key", sa.String(length=200), nullable=True, comment="Feishu encrypt key / WeCom AES key"
        ),
        sa.Column("api_base", sa.String(length=200), nullable=True, comment="open API host for image upload"),
        sa.Column("send_cards", sa.Boolean(), nullable=False, comment="routed tickets send a card"),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["bot_id"],
            ["ticket_group_bots.id"],
            name=op.f("fk_ticket_group_bot_apps_bot_id_ticket_group_bots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_group_bot_apps")),
        sa.UniqueConstraint("bot_id", name=op.f("uq_ticket_group_bot_apps_bot_id")),
    )
    op.create_table(
        "ticket_group_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column(
            "fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "photo_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "answered_at",
            aftersales.kit.types.UTCDateTime(timezone=True),
            nullable=True,
            comment="first reply matched",
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["ticket_groups.id"],
            name=op.f("fk_ticket_group_cards_group_id_ticket_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"],
            ["users.id"],
            name=op.f("fk_ticket_group_cards_sent_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_group_cards_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_group_cards")),
    )
    with op.batch_alter_table("ticket_group_cards", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_group_cards_answered_at_created_at", ["answered_at", "created_at"], unique=False
        )
        batch_op.create_index("ix_ticket_group_cards_ticket_id", ["ticket_id"], unique=False)

    op.create_table(
        "ticket_group_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.Integer(), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=False),
        sa.Column("thread_id", sa.String(length=128), nullable=True, comment="quoted / root message id"),
        sa.Column("chat_id", sa.String(length=128), nullable=True),
        sa.Column("sender", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False, comment="courier or warehouse"),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column(
            "matched_by", sa.String(length=16), nullable=True, comment="thread, number, tracking, manual"
        ),
        sa.Column("action", sa.String(length=16), nullable=True, comment="intercept, reshipment or found"),
        sa.Column("action_done_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("action_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "handled_at",
            aftersales.kit.types.UTCDateTime(timezone=True),
            nullable=True,
            comment="matched or filed by hand",
        ),
        sa.Column("received_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_by_id"],
            ["users.id"],
            name=op.f("fk_ticket_group_replies_action_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["bot_id"],
            ["ticket_group_bots.id"],
            name=op.f("fk_ticket_group_replies_bot_id_ticket_group_bots"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_group_replies_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_group_replies")),
        sa.UniqueConstraint(
            "platform", "message_id", name=op.f("uq_ticket_group_replies_platform_message_id")
        ),
    )
    with op.batch_alter_table("ticket_group_replies", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_group_replies_handled_at_received_at", ["handled_at", "received_at"], unique=False
        )
        batch_op.create_index("ix_ticket_group_replies_ticket_id", ["ticket_id"], unique=False)

    op.create_table(
        "ticket_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False, comment="buyer or agent"),
        sa.Column("original_name", sa.String(length=255), nullable=True),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("md5", sa.String(length=32), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_photos_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_ticket_photos_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_photos")),
    )
    with op.batch_alter_table("ticket_photos", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_photos_ticket_id", ["ticket_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ticket_photos", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_photos_ticket_id")

    op.drop_table("ticket_photos")
    with op.batch_alter_table("ticket_group_replies", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_group_replies_ticket_id")
        batch_op.drop_index("ix_ticket_group_replies_handled_at_received_at")

    op.drop_table("ticket_group_replies")
    with op.batch_alter_table("ticket_group_cards", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_group_cards_ticket_id")
        batch_op.drop_index("ix_ticket_group_cards_answered_at_created_at")

    op.drop_table("ticket_group_cards")
    op.drop_table("ticket_group_bot_apps")
