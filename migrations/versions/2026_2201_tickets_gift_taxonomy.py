"""tickets: missing gifts (赠品漏发/少发) become their own subcategory of 商品问题.

Seed 001 follows gifts through to the buyer; a gift missing from the parcel is a different problem
from a missing product (no refund, a free reshipment), so existing installations get the node and
its two details. The configuration token changes, so every process reloads it.

Revision ID: 2201_tickets_gift_taxonomy
Revises: 0960_tickets_vip
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from aftersales.tickets.config.defaults import GIFT_PATHS, seed_taxonomy

revision: str = "2201_tickets_gift_taxonomy"
down_revision: str | Sequence[str] | None = "0960_tickets_vip"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

version = sa.table("ticket_config_version", sa.column("id", sa.Integer), sa.column("token", sa.String))


def upgrade() -> None:
    seed_taxonomy(op.get_bind(), only=GIFT_PATHS)
    _new_token()


def downgrade() -> None:
    taxonomy = sa.table("ticket_taxonomy", sa.column("path", sa.String))
    for path in reversed(GIFT_PATHS):  # details before their parent
        op.execute(sa.delete(taxonomy).where(taxonomy.c.path == path))
    _new_token()


def _new_token() -> None:
    op.get_bind().execute(sa.update(version).where(version.c.id == 1).values(token=uuid.uuid4().hex))
