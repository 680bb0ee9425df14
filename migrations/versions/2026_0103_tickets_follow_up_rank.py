"""tickets: queue_rank, so a due follow-up (隔日跟进) sorts to the top of the queue, with its index.

Revision ID: 0103
Revises: 0102
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0103"
down_revision: str | Sequence[str] | None = "0102"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "queue_rank",
                sa.Integer(),
                server_default="1",
                nullable=False,
                comment="0 follow-up due, 1 normal",
            )
        )
        batch_op.create_index(
            "ix_tickets_is_open_queue_rank_queue_at",
            ["is_open", "queue_rank", "queue_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_is_open_queue_rank_queue_at")
        batch_op.drop_column("queue_rank")
