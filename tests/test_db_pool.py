"""Pooled PostgreSQL connections: handed out without a ping while fresh, and never dead."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from aftersales import db
from aftersales.db import make_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def one_connection(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(one_connection: Engine, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The pings the pool sends, counted."""
    sent: list[object] = []
    ping = one_connection.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        sent.append(dbapi_connection)
        return ping(dbapi_connection)

    monkeypatch.setattr(one_connection.dialect, "do_ping", counted)
    return sent


def backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_backend_pid()")))


def test_a_connection_reused_at_once_is_not_pinged(one_connection: Engine, pings: list[object]) -> None:
    first = backend_pid(one_connection)
    assert backend_pid(one_connection) == first
    assert pings == []


def test_a_connection_idle_past_the_threshold_is_pinged(
    one_connection: Engine, pings: list[object], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = backend_pid(one_connection)
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", -1.0)
    assert backend_pid(one_connection) == first
    assert len(pings) == 1


def test_a_connection_the_server_terminated_is_replaced_before_use(
    one_connection: Engine, engine: Engine
) -> None:
    """The server closing a pooled connection (a restart, ``pg_terminate_backend``) is noticed on the
    next checkout, however recent its last use: the caller gets a new, live connection."""
    first = backend_pid(one_connection)
    with engine.connect() as admin:
        assert admin.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": first})
    assert backend_pid(one_connection) != first
