"""automation: abuse limits: per-customer gift and compensation caps, the standard ceiling below
the 300 % tier, the serial-returner threshold, gifts waiting for approval, score risk on approvals

Revision ID: 0303_automation
Revises: 0302
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "0303_automation"
down_revision: str | Sequence[str] | None = "0302"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

POLICY_COLUMNS = (
    ("standard_ratio_bp", "10000", "ceiling without a product fault or score risk, bp"),
    ("gift_cap_30d", "1", "automatic gifts per customer"),
    ("gift_cap_90d", "2", "automatic gifts per customer"),
    ("compensation_cap_30d_fen", "30000", "agent compensation per customer in 30 days"),
    ("compensation_cap_90d_fen", "60000", "agent compensation per customer in 90 days"),
    ("serial_returner_requests", "5", "after-sales requests in 30 days that flag a serial returner"),
)


def upgrade() -> None:
    with op.batch_alter_table("return_policies", schema=None) as batch_op:
        for name, default, comment in POLICY_COLUMNS:
            batch_op.add_column(
                sa.Column(name, sa.Integer(), nullable=False, server_default=default, comment=comment)
            )
    with op.batch_alter_table("compensation_approvals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "score_risk",
                sa.Boolean(),
                nullable=False,
                server_default=sa.text("false"),
                comment="the shop's score is at risk (seed 004: 300 % tier)",
            )
        )
    with op.batch_alter_table("sop_upgrades", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="auto"))
        batch_op.add_column(sa.Column("decided_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("decided_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_foreign_key(
            "fk_sop_upgrades_decided_by_users", "users", ["decided_by"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("sop_upgrades", schema=None) as batch_op:
        batch_op.drop_constraint("fk_sop_upgrades_decided_by_users", type_="foreignkey")
        batch_op.drop_column("decided_at")
        batch_op.drop_column("decided_by")
        batch_op.drop_column("status")
    with op.batch_alter_table("compensation_approvals", schema=None) as batch_op:
        batch_op.drop_column("score_risk")
    with op.batch_alter_table("return_policies", schema=None) as batch_op:
        for name, _default, _comment in reversed(POLICY_COLUMNS):
            batch_op.drop_column(name)
