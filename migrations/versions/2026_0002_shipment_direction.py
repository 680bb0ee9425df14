"""shipment direction (outbound / return) and indexes for open parcels, regions and date ranges

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 17:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("delivered_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("shipments") as batch_op:
        batch_op.add_column(
            sa.Column(
                "direction",
                sa.Enum("outbound", "return", name="shipmentdirection", native_enum=False, length=24),
                server_default="outbound",
                nullable=False,
            )
        )
    op.create_index(
        "ix_shipments_open_shipped_at", "shipments", ["shipped_at"], sqlite_where=OPEN, postgresql_where=OPEN
    )
    op.create_index("ix_orders_province", "orders", ["province"])
    op.create_index("ix_orders_ordered_at", "orders", ["ordered_at"])


def downgrade() -> None:
    op.drop_index("ix_orders_ordered_at", table_name="orders")
    op.drop_index("ix_orders_province", table_name="orders")
    op.drop_index("ix_shipments_open_shipped_at", table_name="shipments")
    with op.batch_alter_table("shipments") as batch_op:
        batch_op.drop_column("direction")
