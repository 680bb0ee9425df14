"""Dialect-aware bulk upsert keyed by a unique constraint (SQLite and PostgreSQL both speak ON CONFLICT)."""

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Table, and_, or_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session

CHUNK_ROWS = 2000


def _table(model: type[DeclarativeBase]) -> Table:
    return cast(Table, model.__table__)


def _insert_for(session: Session, table: Table) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def upsert(
    session: Session,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str],
) -> None:
    """Insert new rows, update changed ones, leave identical ones untouched.

    The ``WHERE ... IS DISTINCT FROM`` guard makes a re-import of the same file a true no-op.
    """
    if not rows:
        return
    table = _table(model)
    statement = _insert_for(session, table)
    if update_columns:
        excluded = statement.excluded
        changed = or_(*(table.c[c].is_distinct_from(excluded[c]) for c in update_columns))
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict_columns),
            set_={c: excluded[c] for c in update_columns},
            where=and_(changed),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict_columns))
    for start in range(0, len(rows), CHUNK_ROWS):
        session.execute(statement, list(rows[start : start + CHUNK_ROWS]))


def insert_ignore(
    session: Session,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    *,
    conflict_columns: Sequence[str],
) -> None:
    upsert(session, model, rows, conflict_columns=conflict_columns, update_columns=())
