"""returns: requests, retention offers, compensation ledger and approvals, window extensions,
SOP upgrades, reshipments and per-shop return policies (written from the models, pruned to them).

Revision ID: 0300
Revises: 0001
Depends on: 0100 (tickets: ledger rows link to tickets)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (rendered JSONB(astext_type=Text()))
from sqlalchemy.dialects import postgresql

import aftersales.kit.types

revision: str = "0300"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = ("returns",)
depends_on: str | Sequence[str] | None = "0100"


def upgrade() -> None:
    op.create_table(
        "return_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column(
            "agent_ratio_bp", sa.Integer(), nullable=False, comment="agent alone: share of paid amount, bp"
        ),
        sa.Column("agent_cap_fen", sa.Integer(), nullable=False, comment="agent alone: absolute cap"),
        sa.Column(
            "supervisor_ratio_bp",
            sa.Integer(),
            nullable=False,
            comment="with approval: share of paid amount, bp",
        ),
        sa.Column(
            "early_refund_max_fen", sa.Integer(), nullable=False, comment="early refund on pickup scan up to"
        ),
        sa.Column(
            "retention_compensation_bp", sa.Integer(), nullable=False, comment="partial compensation offered"
        ),
        sa.Column(
            "retention_order",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
            comment="offer kinds in proposal order",
        ),
        sa.Column("release_refund_on", sa.String(length=16), nullable=False, comment="accepted | returned"),
        sa.Column("high_value_fen", sa.Integer(), nullable=False, comment="SOP: high-value order threshold"),
        sa.Column(
            "repeat_window_days", sa.Integer(), nullable=False, comment="SOP: repeated problem look-back"
        ),
        sa.Column(
            "max_extension_days", sa.Integer(), nullable=False, comment="window extension an agent may grant"
        ),
        sa.Column("erp_format", sa.String(length=16), nullable=False, comment="generic | wangdiantong"),
        sa.Column("erp_url", sa.String(length=500), nullable=True),
        sa.Column("erp_shop_no", sa.String(length=64), nullable=True, comment="shop code in the ERP"),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_return_policies_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_policies")),
        sa.UniqueConstraint("shop_id", name=op.f("uq_return_policies_shop_id")),
    )
    op.create_table(
        "return_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "platform",
            sa.Enum(
                "taobao", "tmall", "jd", "douyin", "pdd", "own", name="platform", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column(
            "source_id",
            sa.String(length=64),
            nullable=False,
            comment="platform refund number, or console-<n>",
        ),
        sa.Column("channel", sa.String(length=16), nullable=False, comment="api | webhook | csv | console"),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("return", "exchange", "refund_only", name="requestkind", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("reason_text", sa.Text(), nullable=True),
        sa.Column("is_quality", sa.Boolean(), nullable=False),
        sa.Column("refund_fen", sa.Integer(), nullable=False, comment="amount the customer asks back"),
        sa.Column(
            "shipping_payer",
            sa.Enum("seller", "customer", name="shippingpayer", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("no_reason_eligible", sa.Boolean(), nullable=False),
        sa.Column("window_ends_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "retaining",
                "resolved",
                "rejected",
                name="requeststatus",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum(
                "refunded",
                "exchanged",
                "compensated",
                "guided",
                "withdrawn",
                name="outcome",
                native_enum=False,
                length=24,
            ),
            nullable=True,
        ),
        sa.Column(
            "refund_state",
            sa.Enum(
                "none",
                "pending",
                "held_for_intercept",
                "intercept_failed",
                "released",
                name="refundstate",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("return_shipment_id", sa.Integer(), nullable=True, comment="the customer's return parcel"),
        sa.Column("warehouse_check", sa.String(length=16), nullable=True, comment="passed | failed"),
        sa.Column("warehouse_note", sa.Text(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True, comment="who handled retention"),
        sa.Column("requested_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_return_requests_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_return_requests_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_return_requests_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["return_shipment_id"],
            ["shipments.id"],
            name=op.f("fk_return_requests_return_shipment_id_shipments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_return_requests_shop_id_shops")),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_return_requests_sku_id_skus")),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_return_requests_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_requests")),
        sa.UniqueConstraint("platform", "source_id", name=op.f("uq_return_requests_platform_source_id")),
    )
    with op.batch_alter_table("return_requests", schema=None) as batch_op:
        batch_op.create_index(
            "ix_return_requests_customer_id_requested_at", ["customer_id", "requested_at"], unique=False
        )
        batch_op.create_index("ix_return_requests_order_id", ["order_id"], unique=False)
        batch_op.create_index(
            "ix_return_requests_status_requested_at", ["status", "requested_at"], unique=False
        )
        batch_op.create_index("ix_return_requests_ticket_id", ["ticket_id"], unique=False)

    op.create_table(
        "compensation_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "approved", "rejected", name="approvalstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("requested_by", sa.Integer(), nullable=False),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_compensation_approvals_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_compensation_approvals_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["return_requests.id"],
            name=op.f("fk_compensation_approvals_request_id_return_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by"], ["users.id"], name=op.f("fk_compensation_approvals_requested_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_compensation_approvals_shop_id_shops")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_compensation_approvals_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensation_approvals")),
    )
    with op.batch_alter_table("compensation_approvals", schema=None) as batch_op:
        batch_op.create_index(
            "ix_compensation_approvals_status_created_at", ["status", "created_at"], unique=False
        )

    op.create_table(
        "reshipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column(
            "items",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("receiver_name", sa.String(length=64), nullable=True),
        sa.Column("receiver_phone", sa.String(length=32), nullable=True),
        sa.Column("province", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=32), nullable=True),
        sa.Column("district", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column(
            "courier_hint", sa.String(length=16), nullable=True, comment="sf when an SOP upgrade asks for it"
        ),
        sa.Column("erp_format", sa.String(length=16), nullable=False),
        sa.Column("outbox_key", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pushing", "shipped", name="reshipmentstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("shipment_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"], name=op.f("fk_reshipments_created_by_users")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_reshipments_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["return_requests.id"], name=op.f("fk_reshipments_request_id_return_requests")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_reshipments_shipment_id_shipments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_reshipments_shop_id_shops")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_reshipments_ticket_id_tickets"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reshipments")),
        sa.UniqueConstraint("outbox_key", name=op.f("uq_reshipments_outbox_key")),
    )
    with op.batch_alter_table("reshipments", schema=None) as batch_op:
        batch_op.create_index("ix_reshipments_order_id", ["order_id"], unique=False)
        batch_op.create_index("ix_reshipments_status_created_at", ["status", "created_at"], unique=False)

    op.create_table(
        "retention_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "exchange_free_shipping",
                "partial_compensation",
                "remote_guidance",
                name="offerkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("offered", "accepted", "declined", name="offerstatus", native_enum=False, length=24),
            nullable=False,
        ),
        sa.Column("offered_by", sa.Integer(), nullable=True),
        sa.Column("offered_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("responded_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["offered_by"], ["users.id"], name=op.f("fk_retention_offers_offered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["return_requests.id"],
            name=op.f("fk_retention_offers_request_id_return_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_offers")),
        sa.UniqueConstraint("request_id", "kind", name=op.f("uq_retention_offers_request_id_kind")),
    )
    op.create_table(
        "sop_upgrades",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["return_requests.id"],
            name=op.f("fk_sop_upgrades_request_id_return_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sop_upgrades")),
        sa.UniqueConstraint("request_id", "rule", name=op.f("uq_sop_upgrades_request_id_rule")),
    )
    op.create_table(
        "window_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_window_extensions_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_window_extensions_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["return_requests.id"],
            name=op.f("fk_window_extensions_request_id_return_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_window_extensions")),
    )
    with op.batch_alter_table("window_extensions", schema=None) as batch_op:
        batch_op.create_index("ix_window_extensions_order_id", ["order_id"], unique=False)

    op.create_table(
        "compensations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("approval_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "compensation", "early_refund", "refund", name="payoutkind", native_enum=False, length=24
            ),
            nullable=False,
        ),
        sa.Column(
            "authority",
            sa.Enum(
                "agent",
                "early_refund",
                "supervisor_approval",
                "supervisor",
                "shop_rule",
                name="authority",
                native_enum=False,
                length=24,
            ),
            nullable=False,
        ),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason_code", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True, comment="who paid; empty for rules"),
        sa.Column("paid_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_compensations_agent_id_users")),
        sa.ForeignKeyConstraint(
            ["approval_id"],
            ["compensation_approvals.id"],
            name=op.f("fk_compensations_approval_id_compensation_approvals"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_compensations_order_id_orders")),
        sa.ForeignKeyConstraint(
            ["request_id"], ["return_requests.id"], name=op.f("fk_compensations_request_id_return_requests")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_compensations_shop_id_shops")),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_compensations_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_compensations")),
    )
    with op.batch_alter_table("compensations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_compensations_agent_id_reason_code", ["agent_id", "reason_code"], unique=False
        )
        batch_op.create_index("ix_compensations_order_id", ["order_id"], unique=False)
        batch_op.create_index("ix_compensations_paid_at", ["paid_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("compensations", schema=None) as batch_op:
        batch_op.drop_index("ix_compensations_paid_at")
        batch_op.drop_index("ix_compensations_order_id")
        batch_op.drop_index("ix_compensations_agent_id_reason_code")

    op.drop_table("compensations")
    with op.batch_alter_table("window_extensions", schema=None) as batch_op:
        batch_op.drop_index("ix_window_extensions_order_id")

    op.drop_table("window_extensions")
    op.drop_table("sop_upgrades")
    op.drop_table("retention_offers")
    with op.batch_alter_table("reshipments", schema=None) as batch_op:
        batch_op.drop_index("ix_reshipments_status_created_at")
        batch_op.drop_index("ix_reshipments_order_id")

    op.drop_table("reshipments")
    with op.batch_alter_table("compensation_approvals", schema=None) as batch_op:
        batch_op.drop_index("ix_compensation_approvals_status_created_at")

    op.drop_table("compensation_approvals")
    with op.batch_alter_table("return_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_return_requests_ticket_id")
        batch_op.drop_index("ix_return_requests_status_requested_at")
        batch_op.drop_index("ix_return_requests_order_id")
        batch_op.drop_index("ix_return_requests_customer_id_requested_at")

    op.drop_table("return_requests")
    op.drop_table("return_policies")
