"""tickets: indexes on the warn mark, so the "at risk" queue filter reads only warned tickets.

Revision ID: 0102
Revises: 0101
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0102"
down_revision: str | Sequence[str] | None = "0101"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_tickets_is_open_sla_warn_at": ["is_open", "sla_warn_at", "queue_at"],
    "ix_tickets_group_id_is_open_sla_warn_at": ["group_id", "is_open", "sla_warn_at", "queue_at"],
    "ix_tickets_assignee_id_is_open_sla_warn_at": ["assignee_id", "is_open", "sla_warn_at", "queue_at"],
    "ix_tickets_shift_id_is_open_sla_warn_at": ["shift_id", "is_open", "sla_warn_at", "queue_at"],
}


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        for name in reversed(INDEXES):
            batch_op.drop_index(name)
