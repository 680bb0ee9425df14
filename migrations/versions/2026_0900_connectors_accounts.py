"""connectors: accounts, tracking subscriptions, sms sends

Revision ID: 0900c
Revises: 0800
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (autogenerate renders JSONB(astext_type=Text()))

import aftersales.kit.types
from sqlalchemy.dialects import postgresql

revision: str = "0900c"
down_revision: str | Sequence[str] | None = "0800"
branch_labels: str | Sequence[str] | None = ("connectors",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connector_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("sandbox", sa.Boolean(), nullable=False),
        sa.Column("secret_blob", sa.Text(), nullable=False),
        sa.Column("secret_hint", sa.String(length=255), nullable=False),
        sa.Column(
            "settings",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("success_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("last_success_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "cursor", sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql"), nullable=False
        ),
        sa.Column("last_sync_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_sync_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("sync_failures", sa.Integer(), nullable=False),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_connector_accounts_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_accounts")),
        sa.UniqueConstraint("provider", "scope", name=op.f("uq_connector_accounts_provider_scope")),
    )
    op.create_table(
        "sms_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("template_code", sa.String(length=64), nullable=False),
        sa.Column("biz_id", sa.String(length=64), nullable=True),
        sa.Column("sent_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("delivered", sa.Boolean(), nullable=True),
        sa.Column("report_code", sa.String(length=64), nullable=True),
        sa.Column("report_message", sa.String(length=255), nullable=True),
        sa.Column("reported_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["connector_accounts.id"],
            name=op.f("fk_sms_sends_account_id_connector_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_sends")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_sms_sends_idempotency_key")),
    )
    with op.batch_alter_table("sms_sends", schema=None) as batch_op:
        batch_op.create_index("ix_sms_sends_biz_id", ["biz_id"], unique=False)
        batch_op.create_index("ix_sms_sends_phone_sent_at", ["phone", "sent_at"], unique=False)

    op.create_table(
        "tracking_subscriptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_code", sa.String(length=16), nullable=True),
        sa.Column("last_message", sa.String(length=255), nullable=True),
        sa.Column("next_attempt_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("subscribed_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_push_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_query_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["connector_accounts.id"],
            name=op.f("fk_tracking_subscriptions_account_id_connector_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"],
            ["shipments.id"],
            name=op.f("fk_tracking_subscriptions_shipment_id_shipments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tracking_subscriptions")),
        sa.UniqueConstraint("shipment_id", name=op.f("uq_tracking_subscriptions_shipment_id")),
    )
    with op.batch_alter_table("tracking_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tracking_subscriptions_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("tracking_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_subscriptions_status_next_attempt_at")

    op.drop_table("tracking_subscriptions")
    with op.batch_alter_table("sms_sends", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_sends_phone_sent_at")
        batch_op.drop_index("ix_sms_sends_biz_id")

    op.drop_table("sms_sends")
    op.drop_table("connector_accounts")
