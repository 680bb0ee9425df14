"""security: login failures per user name and client; portal lock-outs per order and client

Revision ID: 0900_security
Revises: 0800
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "0900_security"
down_revision: str | Sequence[str] | None = "0800"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = ("0600",)


def _portal_lockouts(*keys: str) -> None:
    """Lock-out counters are short-lived: the table is recreated with its new key, not migrated."""
    columns = [
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True),
    ]
    if "client" in keys:
        columns.insert(1, sa.Column("client", sa.String(length=64), nullable=False))
    op.create_table(
        "portal_lockouts",
        *columns,
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_portal_lockouts_order_id_orders"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint(*keys, name=op.f("pk_portal_lockouts")),
    )


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failed_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index(
        "ix_login_failures_username_client_failed_at", "login_failures", ["username", "client", "failed_at"]
    )
    op.drop_table("portal_lockouts")
    _portal_lockouts("order_id", "client")


def downgrade() -> None:
    op.drop_table("portal_lockouts")
    _portal_lockouts("order_id")
    op.drop_index("ix_login_failures_username_client_failed_at", table_name="login_failures")
    op.drop_table("login_failures")
