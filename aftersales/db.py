"""Engine, session factory, declarative base and the unit-of-work helper.

Services only ``flush()``; the request dependency, the job runner or the CLI command commits.
"""

import select
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event, exc, text
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


# Connection execution option naming how a SQLite transaction begins (see ``_configure_sqlite``).
SQLITE_BEGIN = "sqlite_begin"


def _configure_sqlite(engine: Engine) -> None:
    """WAL + foreign keys + the pysqlite transaction workaround (SAVEPOINT support).

    Transactions begin ``IMMEDIATE``: they take SQLite's one write lock at the start, waiting up to
    the busy timeout for it. A deferred transaction that reads and then writes cannot wait: when
    another writer committed since its read, SQLite answers "database is locked" at once, whatever
    the timeout. Holding the write lock from the start also serialises every money decision, which
    is SQLite's per-order lock. Read-only units of work ask for ``DEFERRED`` (``defer_write_lock``)
    so that pages never wait for a writer (WAL readers see the last commit).
    """

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
        deferred = conn.get_execution_options().get(SQLITE_BEGIN) == "DEFERRED"
        conn.exec_driver_sql("BEGIN DEFERRED" if deferred else "BEGIN IMMEDIATE")


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    settings = get_settings()
    url = url or settings.database_url
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=settings.sql_echo, **kwargs)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, echo=settings.sql_echo, **kwargs)
    _ping_stale_connections(engine)
    return engine


# A pooled connection idle for longer than this is pinged before use (see ``_ping_stale_connections``).
PING_AFTER_IDLE_SECONDS = 1.0
_CHECKED_IN_AT = "checked_in_at"


def _ping_stale_connections(engine: Engine) -> None:
    """Hand out only live connections, without a database round trip on every checkout.

    ``pool_pre_ping`` pings on every checkout: one more round trip per request (≈ 0.3 ms of server
    CPU and a loopback hop each). Instead a connection is pinged only when it could be dead: its
    socket has something to read while idle (the server closed it or sent the fatal "terminating
    connection" of a restart or ``pg_terminate_backend``), or it sat idle longer than
    ``PING_AFTER_IDLE_SECONDS``. A failed ping raises ``InvalidatePoolError``:
    the pool reconnects, and every connection opened before the restart is replaced.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in_at = record.info.get(_CHECKED_IN_AT)
        if checked_in_at is None:  # just connected
            return
        if time.monotonic() - checked_in_at <= PING_AFTER_IDLE_SECONDS and not _has_input(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.InvalidatePoolError(f"connection failed its ping: {error}") from error


def _has_input(dbapi_connection: Any) -> bool:
    """Whether an idle connection's socket is readable: an idle session is sent nothing unless the
    server is closing it (a notice, an error, end of file). A poll, not a round trip."""
    poll = select.poll()  # not select(): any descriptor number
    poll.register(dbapi_connection.fileno(), select.POLLIN)
    return bool(poll.poll(0))


@lru_cache
def get_engine() -> Engine:
    return make_engine()


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def defer_write_lock(session: Session) -> None:
    """Begin the session's SQLite transaction without the write lock: for units of work that only
    read (a page, a GET), which must not queue behind a long job's write transaction."""
    if is_sqlite(session):
        session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})


@contextmanager
def unit_of_work(*, read_only: bool = False) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    The API and console dependency, the portal and the CLI open their sessions here; ``read_only``
    units of work begin deferred on SQLite.
    """
    session = get_sessionmaker()()
    try:
        if read_only:
            defer_write_lock(session)
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
