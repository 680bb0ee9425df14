"""tickets: the subcategories the customer portal files tickets under join the taxonomy.

The portal opened tickets as 物流问题/修改地址, 物流问题/延迟发货, 服务问题/安装 and 其他/发票, which
seed 004 lacks; now that every ticket's category is checked against the taxonomy (whoever opens
it), those four become nodes. The configuration token changes, so every process reloads it.

Revision ID: 0105_archtk_portal_taxonomy
Revises: 0104
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.tickets.config.defaults import PORTAL_SUBCATEGORIES, seed_taxonomy

revision: str = "0105_archtk_portal_taxonomy"
down_revision: str | Sequence[str] | None = "0104"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

version = sa.table("ticket_config_version", sa.column("id", sa.Integer), sa.column("token", sa.String))


def upgrade() -> None:
    seed_taxonomy(op.get_bind(), only=PORTAL_SUBCATEGORIES)
    _new_token()


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM ticket_taxonomy WHERE path IN :paths").bindparams(
            sa.bindparam("paths", list(PORTAL_SUBCATEGORIES), expanding=True)
        )
    )
    _new_token()


def _new_token() -> None:
    op.get_bind().execute(sa.update(version).where(version.c.id == 1).values(token=uuid.uuid4().hex))
