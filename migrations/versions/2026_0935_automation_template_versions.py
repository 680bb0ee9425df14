"""automation: message template versions (an outbox message records the version it was rendered from)

Revision ID: 0235
Revises: 0230
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0235"
down_revision: str | Sequence[str] | None = "0230"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "version", sa.Integer(), nullable=False, server_default="1", comment="raised on every save"
            )
        )
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.alter_column("version", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("message_templates", schema=None) as batch_op:
        batch_op.drop_column("version")
