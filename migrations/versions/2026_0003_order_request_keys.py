"""order request keys: Idempotency-Key per order and kind of money request or portal submit

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_request_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind", sa.String(length=32), nullable=False, comment="compensation | refund | approval | …"
        ),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column(
            "fingerprint", sa.String(length=64), nullable=False, comment="sha256 of the request's values"
        ),
        sa.Column("result_id", sa.Integer(), nullable=False, comment="id of the row the first request made"),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_request_keys_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_request_keys")),
        sa.UniqueConstraint("order_id", "kind", "key", name=op.f("uq_order_request_keys_order_id_kind_key")),
    )


def downgrade() -> None:
    op.drop_table("order_request_keys")
