"""logistics: message templates, anomaly rules and findings, restricted regions, region holds,
parcel interceptions and the post-delivery care sequence

Revision ID: 0200
Revises: 0001
Create Date: 2026-11-25 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "0200"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("logistics",)
depends_on: str | Sequence[str] | None = "0100"


def upgrade() -> None:
    op.create_table(
        "logistics_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "no_first_scan",
                "no_update",
                "stuck_at_hub",
                "delivery_failed",
                "returned",
                "late",
                "restricted_region",
                "split_lagging",
                name="anomalykind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("courier", sa.String(length=16), nullable=False),
        sa.Column("threshold_hours", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("notify_customer", sa.Boolean(), nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=True),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logistics_rules")),
        sa.UniqueConstraint("kind", "courier", name=op.f("uq_logistics_rules_kind_courier")),
    )
    op.create_table(
        "message_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True, comment="email subject, also a template"),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("code", name=op.f("uq_message_templates_code")),
    )
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.create_index("ix_message_templates_is_active", ["is_active"], unique=False)

    op.create_table(
        "restricted_regions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=32), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=False),
        sa.Column("courier", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("valid_from", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("valid_until", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_restricted_regions")),
        sa.UniqueConstraint(
            "province",
            "city",
            "district",
            "courier",
            name=op.f("uq_restricted_regions_province_city_district_courier"),
        ),
    )
    with op.batch_alter_table("restricted_regions", schema=None) as batch_op:
        batch_op.create_index("ix_restricted_regions_valid_until", ["valid_until"], unique=False)

    op.create_table(
        "care_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column(
            "step",
            sa.Enum("care", "usage", "feedback", name="carestep", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled", "sent", "replied", "cancelled", name="carestatus", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column("due_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("replied_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reply_negative", sa.Boolean(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_care_messages_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_care_messages_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_messages")),
        sa.UniqueConstraint("order_id", "step", name=op.f("uq_care_messages_order_id_step")),
    )
    with op.batch_alter_table("care_messages", schema=None) as batch_op:
        batch_op.create_index("ix_care_messages_customer_id", ["customer_id"], unique=False)
        batch_op.create_index("ix_care_messages_status_due_at", ["status", "due_at"], unique=False)

    op.create_table(
        "region_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("shipped", sa.Boolean(), nullable=False, comment="parcel already on its way when flagged"),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("notified_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_region_holds_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["region_id"],
            ["restricted_regions.id"],
            name=op.f("fk_region_holds_region_id_restricted_regions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region_holds")),
        sa.UniqueConstraint("order_id", "region_id", name=op.f("uq_region_holds_order_id_region_id")),
    )
    with op.batch_alter_table("region_holds", schema=None) as batch_op:
        batch_op.create_index("ix_region_holds_notified_at", ["notified_at"], unique=False)

    op.create_table(
        "logistics_anomalies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "no_first_scan",
                "no_update",
                "stuck_at_hub",
                "delivery_failed",
                "returned",
                "late",
                "restricted_region",
                "split_lagging",
                name="anomalykind",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("open", "resolved", name="anomalystatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("courier", sa.String(length=16), nullable=False),
        sa.Column(
            "observed_at",
            aftersales.kit.types.UTCDateTime(timezone=True),
            nullable=True,
            comment="the time the rule measured from (shipped, last event, due date…)",
        ),
        sa.Column("first_seen_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("followed_up_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True, comment="tickets.id of the follow-up ticket"),
        sa.Column("message_queued", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_logistics_anomalies_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_logistics_anomalies_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_logistics_anomalies")),
        sa.UniqueConstraint("shipment_id", "kind", name=op.f("uq_logistics_anomalies_shipment_id_kind")),
    )
    with op.batch_alter_table("logistics_anomalies", schema=None) as batch_op:
        batch_op.create_index("ix_logistics_anomalies_followed_up_at", ["followed_up_at"], unique=False)
        batch_op.create_index("ix_logistics_anomalies_order_id", ["order_id"], unique=False)
        batch_op.create_index("ix_logistics_anomalies_status_kind", ["status", "kind"], unique=False)

    op.create_table(
        "parcel_intercepts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("refund_request_id", sa.Integer(), nullable=False, comment="returns' request id"),
        sa.Column("courier", sa.String(length=16), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "accepted",
                "returned",
                "failed",
                name="interceptstatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("goods_value_fen", sa.Integer(), nullable=False),
        sa.Column("refund_requested_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "requested_at",
            aftersales.kit.types.UTCDateTime(timezone=True),
            nullable=True,
            comment="sent to the courier",
        ),
        sa.Column("resolved_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("courier_ref", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True, comment="courier's answer or failure reason"),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_parcel_intercepts_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_parcel_intercepts_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parcel_intercepts")),
        sa.UniqueConstraint(
            "shipment_id",
            "refund_request_id",
            name=op.f("uq_parcel_intercepts_shipment_id_refund_request_id"),
        ),
    )
    with op.batch_alter_table("parcel_intercepts", schema=None) as batch_op:
        batch_op.create_index("ix_parcel_intercepts_order_id", ["order_id"], unique=False)
        batch_op.create_index("ix_parcel_intercepts_status", ["status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("parcel_intercepts", schema=None) as batch_op:
        batch_op.drop_index("ix_parcel_intercepts_status")
        batch_op.drop_index("ix_parcel_intercepts_order_id")

    op.drop_table("parcel_intercepts")
    with op.batch_alter_table("logistics_anomalies", schema=None) as batch_op:
        batch_op.drop_index("ix_logistics_anomalies_status_kind")
        batch_op.drop_index("ix_logistics_anomalies_order_id")
        batch_op.drop_index("ix_logistics_anomalies_followed_up_at")

    op.drop_table("logistics_anomalies")
    with op.batch_alter_table("region_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_region_holds_notified_at")

    op.drop_table("region_holds")
    with op.batch_alter_table("care_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_care_messages_status_due_at")
        batch_op.drop_index("ix_care_messages_customer_id")

    op.drop_table("care_messages")
    with op.batch_alter_table("restricted_regions", schema=None) as batch_op:
        batch_op.drop_index("ix_restricted_regions_valid_until")

    op.drop_table("restricted_regions")
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.drop_index("ix_message_templates_is_active")

    op.drop_table("message_templates")
    op.drop_table("logistics_rules")
