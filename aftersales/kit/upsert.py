"""Dialect-aware bulk upsert keyed by a unique constraint (SQLite and PostgreSQL both speak ON CONFLICT).

Ingestion during a peak moves millions of rows, so the statement is compiled once and the rows
go to the driver's ``executemany`` with one converter per column type, instead of SQLAlchemy's
per-row parameter processing (about ten times slower on SQLite).
"""

import functools
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import chain
from operator import itemgetter
from typing import Any, TypeVarTuple, cast, overload

from sqlalchemy import (
    JSON,
    Boolean,
    Dialect,
    Enum,
    Executable,
    Result,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session

from aftersales.db import is_postgres
from aftersales.kit.types import UTCDateTime

CHUNK_ROWS = 5000
SQLITE_MAX_VARIABLES = 32766
PLAIN_IN_VALUES = 8
COMPILED_STATEMENTS = 256  # per process: (table, columns, dialect) shapes the code uses

Converter = Callable[[list[Any]], list[Any]]


def _table(model: type[DeclarativeBase]) -> Table:
    return cast(Table, model.__table__)


def conflict_insert(session: Session, target: Any) -> Any:
    """``INSERT`` of the session's dialect (PostgreSQL or SQLite), which has ``ON CONFLICT``."""
    dialect = postgresql if is_postgres(session) else sqlite
    return dialect.insert(target)


def _statement(
    dialect: Dialect,
    table: Table,
    columns: Sequence[str],
    conflict_columns: Sequence[str],
    update_columns: Sequence[str],
) -> Any:
    insert = (postgresql if dialect.name == "postgresql" else sqlite).insert
    statement = insert(table).values({c: bindparam(c) for c in columns})
    if not update_columns:
        return statement.on_conflict_do_nothing(index_elements=list(conflict_columns))
    excluded = statement.excluded
    changed = or_(*(table.c[c].is_distinct_from(excluded[c]) for c in update_columns))
    return statement.on_conflict_do_update(
        index_elements=list(conflict_columns),
        set_={c: excluded[c] for c in update_columns},
        where=and_(changed),
    )


def sqlite_datetime(value: datetime | None) -> str | None:
    """SQLAlchemy's own SQLite storage format, so fast-path and ORM rows compare equal."""
    if value is None:
        return None
    if value.tzinfo is UTC:
        return value.isoformat(" ", "microseconds")[:-6]  # without "+00:00"
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def sqlite_datetimes(values: list[Any]) -> list[str | None]:
    """``sqlite_datetime`` of a whole column, the same text: a bulk import binds three times per
    order, and formatting each through ``isoformat`` took a tenth of the import. UTC values are
    formatted by NumPy from their microseconds since the epoch (exact, as integers); a column of
    one shared value (a batch's ``created_at``) is formatted once; a column with any other value
    goes through ``sqlite_datetime`` itself (``tests/kit/test_upsert.py::TestColumnDatetimesEqualPlain``)."""
    if not values or values.count(values[0]) == len(values):
        return [sqlite_datetime(values[0])] * len(values) if values else []
    present = [value for value in values if value is not None]
    if not present or {value.tzinfo for value in present} != {UTC}:
        return [sqlite_datetime(value) for value in values]
    import numpy as np  # loaded with the first bulk write, not with every command

    epoch, microsecond = _EPOCH, _MICROSECOND
    stamps = np.array([(value - epoch) // microsecond for value in present], dtype=np.int64)
    iso = np.datetime_as_string(stamps.astype("datetime64[us]")).tolist()
    texts = [text.replace("T", " ") for text in iso]
    if len(present) == len(values):
        return texts
    formatted = iter(texts)
    return [None if value is None else next(formatted) for value in values]


def _column_converter(column_type: Any, dialect: Dialect) -> Converter | None:
    """What a column's values become as driver parameters, a whole column (list) at a time."""
    on_sqlite = dialect.name == "sqlite"
    if isinstance(column_type, UTCDateTime):
        return sqlite_datetimes if on_sqlite else None
    if isinstance(column_type, Enum) and column_type.enum_class is not None:
        # a member (or its value, which hashes and compares equal) to its value, at C speed
        value_of = {member: member.value for member in column_type.enum_class}.get
        return lambda values: list(map(value_of, values))
    if isinstance(column_type, Enum):
        return lambda values: [None if v is None else getattr(v, "value", v) for v in values]
    if isinstance(column_type, Boolean) and on_sqlite:
        return lambda values: [None if v is None else int(v) for v in values]
    if isinstance(column_type, JSON):
        if on_sqlite:
            return lambda values: [None if v is None else json.dumps(v, ensure_ascii=False) for v in values]
        from psycopg.types.json import Jsonb

        return lambda values: [None if v is None else Jsonb(v) for v in values]
    return None


def upsert(
    session: Session,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """Insert new rows, update changed ones, leave identical ones untouched.

    The ``WHERE ... IS DISTINCT FROM`` guard makes a re-import of the same file a true no-op.
    Every row must have the same keys. With ``returning``, the inserted and changed rows come
    back (identical ones do not), which saves a lookup per batch.
    """
    if not rows:
        return []
    columns = {name: list(map(itemgetter(name), rows)) for name in rows[0]}
    return upsert_columns(
        session,
        model,
        columns,
        conflict_columns=conflict_columns,
        update_columns=update_columns,
        returning=returning,
    )


def upsert_columns(
    session: Session,
    model: type[DeclarativeBase],
    columns: dict[str, list[Any]],
    *,
    conflict_columns: Sequence[str],
    update_columns: Sequence[str],
    returning: Sequence[str] = (),
) -> list[tuple[Any, ...]]:
    """``upsert`` of rows given a column at a time (a list per column, all of one length): a bulk
    import builds its columns straight from the parsed file, without a dict per row that
    ``upsert`` would take apart again."""
    if not columns or not next(iter(columns.values())):
        return []
    compiled = _compiled_upsert(
        _table(model),
        session.get_bind().dialect,
        tuple(columns),
        tuple(conflict_columns),
        tuple(update_columns),
        tuple(returning),
    )
    prepared = _convert([columns[name] for name in compiled.order], compiled.converters)
    if compiled.positional:
        return _multi_values(session, compiled.sql, prepared)
    return _named_rows(session, compiled.sql, compiled.order, prepared, bool(returning))


@dataclass(frozen=True)
class _Compiled:
    sql: str
    positional: bool
    order: list[str]  # parameter names in statement order
    converters: list[Converter | None]


@functools.lru_cache(maxsize=COMPILED_STATEMENTS)
def _compiled_upsert(
    table: Table,
    dialect: Dialect,
    columns: tuple[str, ...],
    conflict_columns: tuple[str, ...],
    update_columns: tuple[str, ...],
    returning: tuple[str, ...],
) -> _Compiled:
    """The statement of ``upsert``, built and compiled once per shape: for a chat message that
    arrives alone, building and compiling its half a dozen upserts took longer than running them."""
    statement = _statement(dialect, table, columns, conflict_columns, update_columns)
    if returning:
        statement = statement.returning(*(table.c[c] for c in returning))
    compiled = statement.compile(dialect=dialect)
    order = list(compiled.positiontup) if compiled.positional and compiled.positiontup else list(columns)
    converters = [_column_converter(table.c[name].type, dialect) for name in order]
    return _Compiled(compiled.string, compiled.positional, order, converters)


def _prepare(
    rows: Sequence[dict[str, Any]], order: list[str], converters: list[Converter | None]
) -> list[list[Any]]:
    """The parameters as columns in statement order (one list per column, a value per row), each
    converted at once: a row at a time, the per-value work took longer than the statements."""
    return _convert([list(map(itemgetter(name), rows)) for name in order], converters)


def _convert(columns: list[list[Any]], converters: list[Converter | None]) -> list[list[Any]]:
    return [
        values if convert is None else convert(values)
        for values, convert in zip(columns, converters, strict=True)
    ]


def _multi_values(session: Session, sql: str, columns: list[list[Any]]) -> list[tuple[Any, ...]]:
    """qmark drivers (SQLite): many rows per ``INSERT ... VALUES (...), (...)`` statement."""
    width, count = len(columns), len(columns[0])
    group = "(" + ", ".join("?" * width) + ")"
    head, tail = sql.split("VALUES " + group, 1)
    per_statement = max(1, min(500, SQLITE_MAX_VARIABLES // width))
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    result: list[tuple[Any, ...]] = []
    for start in range(0, count, per_statement):
        end = min(count, start + per_statement)
        values = ", ".join([group] * (end - start))
        params = list(chain.from_iterable(zip(*(column[start:end] for column in columns), strict=True)))
        cursor.execute(f"{head}VALUES {values}{tail}", params)
        result += cursor.fetchall()
    cursor.close()
    return result


def _named_rows(
    session: Session, sql: str, order: list[str], columns: list[list[Any]], returning: bool
) -> list[tuple[Any, ...]]:
    """Named-parameter drivers (psycopg 3): ``executemany``, which psycopg pipelines; one row alone
    goes to ``execute``."""
    params = [dict(zip(order, values, strict=True)) for values in zip(*columns, strict=True)]
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    result: list[tuple[Any, ...]] = []
    if len(params) == 1:  # psycopg's executemany sets up a pipeline, three times one row's CPU
        cursor.execute(sql, params[0])
        result = [tuple(row) for row in cursor.fetchall()] if returning else []
    else:
        for start in range(0, len(params), CHUNK_ROWS):
            cursor.executemany(sql, params[start : start + CHUNK_ROWS], returning=returning)
            while returning:
                result += [tuple(row) for row in cursor.fetchall()]
                if not cursor.nextset():
                    break
    cursor.close()
    return result


def insert_ignore(
    session: Session,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    *,
    conflict_columns: Sequence[str],
) -> None:
    upsert(session, model, rows, conflict_columns=conflict_columns, update_columns=())


def update_by_key(
    session: Session, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]], *, key: str = "id"
) -> None:
    """``UPDATE … WHERE key = ?`` for every row (each a key and the columns to set, all rows the same
    keys), one statement compiled once and the rows handed to the driver's ``executemany`` with
    ``upsert``'s converters. The ORM's bulk update by primary key (``update_by_key_plain``, the
    reference) processes every row's parameters in Python, a sixth of a chat batch's ingest.
    Columns with an ``onupdate`` the rows do not set get its value, once for the batch."""
    if not rows:
        return
    session.flush()  # what the ORM's execute would have done first (autoflush)
    table = _table(model)
    given = tuple(c for c in rows[0] if c != key)
    stamped = {
        c.name: c.onupdate.arg(None)  # type: ignore[attr-defined]
        for c in table.columns
        if c.onupdate is not None and c.name not in rows[0] and c.onupdate.is_callable
    }
    compiled = _compiled_update(table, session.get_bind().dialect, key, given + tuple(stamped))
    full = [{**row, **stamped} for row in rows] if stamped else rows
    names = [key if name == "key_" else name for name in compiled.order]
    prepared = list(zip(*_prepare(full, names, compiled.converters), strict=True))
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    params = (
        prepared if compiled.positional else [dict(zip(compiled.order, v, strict=True)) for v in prepared]
    )
    if len(params) == 1:  # psycopg's executemany sets up a pipeline, three times one row's CPU
        cursor.execute(compiled.sql, params[0])
    else:
        cursor.executemany(compiled.sql, params)
    cursor.close()


@functools.lru_cache(maxsize=COMPILED_STATEMENTS)
def _compiled_update(table: Table, dialect: Dialect, key: str, columns: tuple[str, ...]) -> _Compiled:
    """The statement of ``update_by_key``, compiled once per shape (as ``_compiled_upsert``)."""
    statement = (
        update(table).where(table.c[key] == bindparam("key_")).values({c: bindparam(c) for c in columns})
    )
    compiled = statement.compile(dialect=dialect)
    order = list(compiled.positiontup) if compiled.positional and compiled.positiontup else [*columns, "key_"]
    names = [key if name == "key_" else name for name in order]
    converters = [_column_converter(table.c[name].type, dialect) for name in names]
    return _Compiled(compiled.string, compiled.positional, order, converters)


def update_by_key_plain(
    session: Session, model: type[DeclarativeBase], rows: Sequence[dict[str, Any]]
) -> None:
    """The reference of ``update_by_key``: the ORM's bulk update by primary key."""
    if rows:
        session.execute(update(model), rows)


def in_values(session: Session, column: Any, values: Iterable[Any]) -> Any:
    """``column IN values`` with the values bound as one parameter: PostgreSQL ``= ANY(array)``,
    SQLite ``IN (SELECT value FROM json_each(…))``. A plain ``IN`` of a bulk batch's 2,000 keys
    takes SQLAlchemy longer to render (a named parameter per value, every time) than the database
    takes to answer it. On SQLite a few values (a chat message arriving alone) go in a plain
    ``IN``: building the ``json_each`` subquery cost more than rendering them."""
    listed = list(values)
    if is_postgres(session):
        return column == any_(bindparam(None, listed, type_=postgresql.ARRAY(column.type)))
    if len(listed) <= PLAIN_IN_VALUES:
        return column.in_(listed)
    each = func.json_each(bindparam(None, json.dumps(listed, ensure_ascii=False))).table_valued("value")
    return column.in_(select(each.c.value))


IN_VALUES = "in_values"  # the parameter ``execute_in`` binds the values to
Membership = Callable[[Any], Any]  # a column -> "column IN the bound values", in the dialect's way
Ts = TypeVarTuple("Ts")


@overload
def execute_in(
    session: Session, build: Callable[[Membership], Select[*Ts]], values: Iterable[Any], **params: Any
) -> Result[*Ts]: ...


@overload
def execute_in(
    session: Session, build: Callable[[Membership], Executable], values: Iterable[Any], **params: Any
) -> Result[Any]: ...


def execute_in(
    session: Session, build: Callable[[Membership], Executable], values: Iterable[Any], **params: Any
) -> Result[Any]:
    """Execute the statement ``build(member)`` makes, where ``member(column)`` is the condition
    ``in_values`` would give (``= ANY`` on PostgreSQL, a plain ``IN`` of a few values or a
    ``json_each`` list on SQLite) with the values bound as a parameter. The statement is built once
    per ``build`` and form, not per call: for a chat message arriving alone, building a select
    and computing its cache key took SQLAlchemy twice as long as running it. ``build`` must be a
    module-level function (it is a cache key); ``params`` are its other bound parameters.
    Reference: the same statement built with ``in_values``
    (``tests/kit/test_upsert.py::TestExecuteInEqualsInValues``)."""
    listed = list(values)
    bound: list[Any] | str = listed
    if is_postgres(session):
        form = "any"
    elif len(listed) <= PLAIN_IN_VALUES:
        form = "plain"
    else:
        form, bound = "json_each", json.dumps(listed, ensure_ascii=False)
    return session.execute(_built(build, form), {IN_VALUES: bound, **params})


@functools.lru_cache(maxsize=COMPILED_STATEMENTS)
def _built(build: Callable[[Membership], Executable], form: str) -> Executable:
    return build(functools.partial(_member, form))


def _member(form: str, column: Any) -> Any:
    if form == "any":
        return column == any_(bindparam(IN_VALUES, type_=postgresql.ARRAY(column.type)))
    if form == "plain":
        return column.in_(bindparam(IN_VALUES, expanding=True))
    each = func.json_each(bindparam(IN_VALUES)).table_valued("value")
    return column.in_(select(each.c.value))
