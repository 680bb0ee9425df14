"""automation: outbox priority, validity window and reason

Revision ID: 0005
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import aftersales.kit.types

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="5"))
        batch_op.add_column(
            sa.Column("expires_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "reason",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
                nullable=True,
            )
        )
        batch_op.drop_index("ix_outbox_messages_status_next_attempt_at")
        batch_op.create_index(
            "ix_outbox_messages_status_priority_next_attempt_at",
            ["status", "priority", "next_attempt_at"],
            unique=False,
        )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.alter_column("priority", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_messages_status_priority_next_attempt_at")
        batch_op.create_index(
            "ix_outbox_messages_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )
        batch_op.drop_column("reason")
        batch_op.drop_column("expires_at")
        batch_op.drop_column("priority")
