"""returns: the gift of the repeated-problem SOP: a gift SKU per shop, and the reshipment that
carried each gift upgrade

Revision ID: 0302
Revises: 0301
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0302"
down_revision: str | Sequence[str] | None = "0301"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("return_policies", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("gift_sku_code", sa.String(length=64), nullable=True, comment="SOP gift: SKU sent")
        )
    with op.batch_alter_table("sop_upgrades", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "reshipment_id", sa.Integer(), nullable=True, comment="the reshipment that carried the gift"
            )
        )
        batch_op.create_foreign_key(
            "fk_sop_upgrades_reshipment_id_reshipments",
            "reshipments",
            ["reshipment_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("sop_upgrades", schema=None) as batch_op:
        batch_op.drop_constraint("fk_sop_upgrades_reshipment_id_reshipments", type_="foreignkey")
        batch_op.drop_column("reshipment_id")
    with op.batch_alter_table("return_policies", schema=None) as batch_op:
        batch_op.drop_column("gift_sku_code")
