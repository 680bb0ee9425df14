"""logistics: the incremental periodic scan — marks of changed parcels, a row per finished scan
(its watermark), and the indexes that find parcels whose estimate, promised date or sibling
delivery, or the arrival at a hub, crossed a rule's threshold since the previous scan (on orders' tables; the logistics scan
is their only reader)

Revision ID: 0230
Revises: 0220
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "0230"
down_revision: str | Sequence[str] | None = "0220"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "logistics_scan_marks",
        sa.Column("shipment_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("shipment_id", name=op.f("pk_logistics_scan_marks")),
    )
    op.create_table(
        "logistics_scan_order_marks",
        sa.Column("order_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_logistics_scan_order_marks")),
    )
    op.create_table(
        "logistics_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False, comment="full or incremental"),
        sa.Column(
            "scanned_until",
            aftersales.kit.types.UTCDateTime(timezone=True),
            nullable=False,
            comment="the scan's now: rules measured from it",
        ),
        sa.Column(
            "window_hours", sa.Integer(), nullable=False, comment="parcels shipped this many hours before now"
        ),
        sa.Column(
            "config",
            sa.String(length=64),
            nullable=False,
            comment="hash of the rule thresholds and active regions",
        ),
        sa.Column("parcels", sa.Integer(), nullable=True, comment="parcels evaluated (incremental scans)"),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logistics_scans")),
    )
    op.create_index(
        "ix_logistics_scans_window_hours_scanned_until", "logistics_scans", ["window_hours", "scanned_until"]
    )
    op.create_index("ix_shipments_estimated_delivery_at", "shipments", ["estimated_delivery_at"])
    op.create_index("ix_shipments_delivered_at", "shipments", ["delivered_at"])
    op.create_index("ix_orders_promised_delivery_at", "orders", ["promised_delivery_at"])
    op.create_index(
        "ix_tracking_events_occurred_at_shipment_id", "tracking_events", ["occurred_at", "shipment_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_tracking_events_occurred_at_shipment_id", table_name="tracking_events")
    op.drop_index("ix_orders_promised_delivery_at", table_name="orders")
    op.drop_index("ix_shipments_delivered_at", table_name="shipments")
    op.drop_index("ix_shipments_estimated_delivery_at", table_name="shipments")
    op.drop_index("ix_logistics_scans_window_hours_scanned_until", table_name="logistics_scans")
    op.drop_table("logistics_scans")
    op.drop_table("logistics_scan_order_marks")
    op.drop_table("logistics_scan_marks")
