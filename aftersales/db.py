"""Engine, session factory, declarative base and the unit-of-work helper.

Services only ``flush()``; the request dependency, the job runner or the CLI command commits.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from aftersales.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _configure_sqlite(engine: Engine) -> None:
    """WAL + foreign keys + the pysqlite transaction workaround (SAVEPOINT support)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    settings = get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=settings.sql_echo, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, echo=settings.sql_echo, pool_pre_ping=True, **kwargs)


@lru_cache
def get_engine() -> Engine:
    return make_engine()


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# SQLite reads big statements' random probes through its 2 MB page cache one read() per page;
# memory-mapping serves them from the OS page cache (≈ half the CPU of the scan's late and
# restricted-region rules at 1M parcels).
SQLITE_MMAP_BYTES = 1 << 30


def tune_for_large_reads(session: Session, *, work_mem: str | None = None) -> None:
    """Settings for the current transaction's big set-based statements (anomaly scan, analytics).

    PostgreSQL: no JIT. The planner misestimates correlated lookups and ``CASE`` cutoffs, prices
    such statements high and JIT-compiles them: seconds of compilation for statements that run in
    one or two (measured at 1M rows). ``work_mem`` for sorts that would spill at the 4 MB default.
    SQLite: memory-mapped reads.
    """
    if is_postgres(session):
        session.execute(text("SET LOCAL jit = off"))
        if work_mem:
            session.execute(text(f"SET LOCAL work_mem = '{work_mem}'"))
    else:
        session.execute(text(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}"))
