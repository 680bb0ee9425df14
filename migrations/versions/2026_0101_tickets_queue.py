"""tickets: queue columns (is_open, queue_at) and the indexes the queue pages read in order.

Revision ID: 0101
Revises: 0100
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "0101"
down_revision: str | Sequence[str] | None = "0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = ("new", "in_progress", "waiting_customer", "waiting_internal")
QUEUE_END = "9999-01-01 00:00:00"


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_open", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(
            sa.Column(
                "queue_at",
                aftersales.kit.types.UTCDateTime(timezone=True),
                nullable=False,
                server_default=QUEUE_END,
                comment="deadline order",
            )
        )
    tickets = sa.table(
        "tickets",
        sa.column("status", sa.String),
        sa.column("is_open", sa.Boolean),
        sa.column("queue_at", sa.DateTime),
        sa.column("sla_due_at", sa.DateTime),
    )
    op.execute(
        tickets.update().values(
            is_open=tickets.c.status.in_(OPEN),
            queue_at=sa.func.coalesce(tickets.c.sla_due_at, tickets.c.queue_at),
        )
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.alter_column("is_open", server_default=None)
        batch_op.alter_column("queue_at", server_default=None)
        batch_op.drop_index("ix_tickets_group_id_status")
        batch_op.drop_index("ix_tickets_assignee_id_status")
        batch_op.drop_index("ix_tickets_shift_id_status")
        batch_op.create_index("ix_tickets_is_open_queue_at", ["is_open", "queue_at", "id"], unique=False)
        batch_op.create_index(
            "ix_tickets_group_id_is_open_queue_at", ["group_id", "is_open", "queue_at"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_assignee_id_is_open_queue_at", ["assignee_id", "is_open", "queue_at"], unique=False
        )
        batch_op.create_index(
            "ix_tickets_shift_id_is_open_queue_at", ["shift_id", "is_open", "queue_at"], unique=False
        )
        batch_op.create_index("ix_tickets_status_queue_at", ["status", "queue_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_status_queue_at")
        batch_op.drop_index("ix_tickets_shift_id_is_open_queue_at")
        batch_op.drop_index("ix_tickets_assignee_id_is_open_queue_at")
        batch_op.drop_index("ix_tickets_group_id_is_open_queue_at")
        batch_op.drop_index("ix_tickets_is_open_queue_at")
        batch_op.create_index("ix_tickets_shift_id_status", ["shift_id", "status"], unique=False)
        batch_op.create_index("ix_tickets_assignee_id_status", ["assignee_id", "status"], unique=False)
        batch_op.create_index("ix_tickets_group_id_status", ["group_id", "status"], unique=False)
        batch_op.drop_column("queue_at")
        batch_op.drop_column("is_open")
