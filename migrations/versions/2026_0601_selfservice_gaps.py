"""selfservice: per-shop bot FAQ (default entries seeded from the packaged dataset), courier
pickup bookings on return tasks, and the bot's hand-over marker on chat sessions.

Revision ID: 0601
Revises: 0600
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

import aftersales.kit.types

revision: str = "0601"
down_revision: str | Sequence[str] | None = "0600"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = "0400"

DATASET = Path(__file__).resolve().parents[2] / "aftersales" / "selfservice" / "data" / "bot_faq.yaml"


def upgrade() -> None:
    faq = op.create_table(
        "bot_faq_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("intent", sa.String(length=32), nullable=False, comment="a bot intent code"),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_bot_faq_entries_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_bot_faq_entries_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_faq_entries")),
        sa.UniqueConstraint("shop_id", "intent", name=op.f("uq_bot_faq_entries_shop_id_intent")),
    )
    intents = yaml.safe_load(DATASET.read_text(encoding="utf-8"))["intents"]
    now = datetime.now(UTC)
    op.bulk_insert(
        faq,
        [
            {"shop_id": None, "intent": code, "answer": spec["answer"], "updated_at": now}
            for code, spec in intents.items()
        ],
    )
    with op.batch_alter_table("portal_return_tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("courier", sa.String(length=16), nullable=True, comment="courier booked for a pickup")
        )
        batch_op.add_column(
            sa.Column("pickup_code", sa.String(length=16), nullable=True, comment="the courier's pickup code")
        )
        batch_op.add_column(
            sa.Column(
                "tracking_no",
                sa.String(length=64),
                nullable=True,
                comment="return waybill of a booked pickup",
            )
        )
        batch_op.add_column(
            sa.Column("booked_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "handed_over_at",
                aftersales.kit.types.UTCDateTime(timezone=True),
                nullable=True,
                comment="when the bot handed the customer to a person (transfer marker)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("chat_sessions", schema=None) as batch_op:
        batch_op.drop_column("handed_over_at")
    with op.batch_alter_table("portal_return_tasks", schema=None) as batch_op:
        batch_op.drop_column("booked_at")
        batch_op.drop_column("tracking_no")
        batch_op.drop_column("pickup_code")
        batch_op.drop_column("courier")
    op.drop_table("bot_faq_entries")
