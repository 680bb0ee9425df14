"""selfservice: issued electronic invoices (电子发票) with their PDF, voided on re-issue (红冲).

Revision ID: 2201_selfservice_invoices
Revises: 0960_knowledge
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import aftersales.kit.types

revision: str = "2201_selfservice_invoices"
down_revision: str | Sequence[str] | None = "0960_knowledge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invoices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False, comment="the provider's invoice number"),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column(
            "status",
            sa.Enum("issued", "voided", name="invoice_status", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("invoice_type", sa.String(length=16), nullable=False, comment="personal or company"),
        sa.Column("title", sa.String(length=128), nullable=False, comment="购买方名称"),
        sa.Column("tax_id", sa.String(length=20), nullable=True, comment="购买方纳税人识别号"),
        sa.Column("amount_fen", sa.Integer(), nullable=False, comment="价税合计"),
        sa.Column(
            "lines",
            sa.JSON().with_variant(postgresql.JSONB(), "postgresql"),
            nullable=False,
            comment="title, quantity, unit and amount fen",
        ),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("issued_by", sa.Integer(), nullable=True, comment="NULL: the buyer or a completed ticket"),
        sa.Column("issued_at", aftersales.kit.types.UTCDateTime(), nullable=False),
        sa.Column("voided_at", aftersales.kit.types.UTCDateTime(), nullable=True),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["issued_by"], ["users.id"], name=op.f("fk_invoices_issued_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_invoices_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"],
            ["invoices.id"],
            name=op.f("fk_invoices_replaced_by_id_invoices"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["portal_requests.id"],
            name=op.f("fk_invoices_request_id_portal_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_invoices_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
    )
    op.create_index("ix_invoices_request_id_status", "invoices", ["request_id", "status"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_invoices_request_id_status", table_name="invoices")
    op.drop_table("invoices")
