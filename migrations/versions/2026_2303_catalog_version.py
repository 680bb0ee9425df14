"""catalog: catalog_version, the token that tells each process its cached SKU matchers are stale,
and the triggers that give it a new random value on every write to skus (an ORM flush, a bulk
statement or a raw import alike), in the writer's transaction.

A later batch-mode rebuild of ``skus`` on SQLite drops these triggers: such a migration must
create them again (``tests/conversations/test_conversion.py::TestMatcherCache`` fails without them).

Revision ID: 2303_catalog_version
Revises: 2203_conversion
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "2303_catalog_version"
down_revision: str | Sequence[str] | None = "2203_conversion"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WRITES = ("INSERT", "UPDATE", "DELETE")
POSTGRES_FUNCTION = """
CREATE FUNCTION bump_catalog_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_version SET token = md5(random()::text || clock_timestamp()::text) WHERE id = 1;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    table = op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "token", sa.String(length=32), nullable=False, comment="random hex, new on every write to skus"
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(table, [{"id": 1, "token": uuid.uuid4().hex}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(
            "CREATE TRIGGER skus_bump_catalog_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON skus "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_catalog_version()"
        )
        return
    for write in WRITES:
        op.execute(
            f"CREATE TRIGGER skus_bump_catalog_version_{write.lower()} AFTER {write} ON skus BEGIN "
            "UPDATE catalog_version SET token = lower(hex(randomblob(16))) WHERE id = 1; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER skus_bump_catalog_version ON skus")
        op.execute("DROP FUNCTION bump_catalog_version()")
    else:
        for write in WRITES:
            op.execute(f"DROP TRIGGER skus_bump_catalog_version_{write.lower()}")
    op.drop_table("catalog_version")
