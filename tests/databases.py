"""Fresh databases for tests: a SQLite file, or a new PostgreSQL database per worker."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from aftersales.migrate import upgrade

TEST_URL_ENV = "AFTERSALES_TEST_DATABASE_URL"


def configured_url() -> str | None:
    return os.environ.get(TEST_URL_ENV)


def is_postgres_run() -> bool:
    return (configured_url() or "").startswith("postgresql")


@contextmanager
def fresh_database(tmp_dir: Path, *, migrate: bool = True) -> Iterator[str]:
    """Create an empty database, migrate it to the latest schema, drop it afterwards."""
    name = f"aftersales_test_{uuid.uuid4().hex[:10]}"
    base = configured_url()
    if not base or base.startswith("sqlite"):
        url = f"sqlite:///{tmp_dir / (name + '.db')}"
        if migrate:
            upgrade(url)
        yield url
        return
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    """The SQL the session's engine runs inside the block, for tests that count round trips."""
    seen: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)
