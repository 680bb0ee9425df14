"""qc: shops' own courses in the catalogue — the owning shop (NULL for the shared defaults of
seed 004), when a course was retired and who changed it last.

Revision ID: 2202_courses
Revises: 0961_knowledge_training
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types

revision: str = "2202_courses"
down_revision: str | Sequence[str] | None = "0961_knowledge_training"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("training_courses") as batch:
        batch.add_column(sa.Column("shop_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("retired_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("updated_by", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_training_courses_shop_id_shops"), "shops", ["shop_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key(
            op.f("fk_training_courses_updated_by_users"), "users", ["updated_by"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("training_courses") as batch:
        batch.drop_constraint(op.f("fk_training_courses_updated_by_users"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_training_courses_shop_id_shops"), type_="foreignkey")
        batch.drop_column("updated_by")
        batch.drop_column("retired_at")
        batch.drop_column("shop_id")
