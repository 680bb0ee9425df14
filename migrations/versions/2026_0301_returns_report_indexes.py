"""returns: covering indexes for the ledger totals and the retention conversion report
(100,000 requests: about 1.0 s -> 0.35 s on SQLite).

Revision ID: 0301
Revises: 0300
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0301"
down_revision: str | Sequence[str] | None = "0300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONVERSION_COLUMNS = ["is_quality", "agent_id", "sku_id", "reason_code", "kind", "outcome", "requested_at"]


def upgrade() -> None:
    with op.batch_alter_table("compensations", schema=None) as batch_op:
        batch_op.drop_index("ix_compensations_agent_id_reason_code")
        batch_op.create_index(
            "ix_compensations_ledger",
            ["agent_id", "reason_code", "kind", "amount_fen", "paid_at"],
            unique=False,
        )
    with op.batch_alter_table("return_requests", schema=None) as batch_op:
        batch_op.create_index("ix_return_requests_conversion", CONVERSION_COLUMNS, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("return_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_return_requests_conversion")
    with op.batch_alter_table("compensations", schema=None) as batch_op:
        batch_op.drop_index("ix_compensations_ledger")
        batch_op.create_index(
            "ix_compensations_agent_id_reason_code", ["agent_id", "reason_code"], unique=False
        )
