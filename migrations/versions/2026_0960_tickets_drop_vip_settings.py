"""tickets: drop the ticket-count VIP rule (VIP is the customer's value, ``orders.customers``); also
joins the tickets branch's two heads (the portal taxonomy and group collaboration).

Revision ID: 0960_tickets_vip
Revises: 0105_archtk_portal_taxonomy, 0950_groups_collab
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0960_tickets_vip"
down_revision: str | Sequence[str] | None = ("0105_archtk_portal_taxonomy", "0950_groups_collab")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("ticket_settings")


def downgrade() -> None:
    table = op.create_table(
        "ticket_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vip_min_tickets", sa.Integer(), nullable=False, comment="tickets within the window"),
        sa.Column("vip_window_days", sa.Integer(), nullable=False),
        sa.Column("vip_min_paid_fen", sa.Integer(), nullable=False, comment="lifetime paid"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_settings")),
    )
    op.bulk_insert(table, [{"id": 1, "vip_min_tickets": 3, "vip_window_days": 90, "vip_min_paid_fen": 200_000}])
