from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from aftersales import db
from aftersales.api import create_app
from aftersales.auth import deps as auth_deps
from aftersales.auth.models import Role
from aftersales.auth.service import issue_token
from aftersales.config import get_settings
from aftersales.db import SQLITE_BEGIN, make_engine
from aftersales.web import csrf
from tests.builders import make_user
from tests.databases import fresh_database, is_postgres_run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if is_postgres_run():
        return
    skip = pytest.mark.skip(reason="PostgreSQL-only behaviour; runs in the PostgreSQL pass")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """Each test runs inside one outer transaction that is rolled back: tests never share rows.

    On SQLite it begins deferred: the application's own units of work take the write lock at
    their start (``aftersales.db``), but a test's outer transaction must not hold it while the
    code under test writes through another connection of its own.
    """
    conn = engine.connect().execution_options(**{SQLITE_BEGIN: "DEFERRED"})
    outer = conn.begin()
    yield conn
    outer.rollback()
    conn.close()


@pytest.fixture
def session_factory(connection: Connection, monkeypatch: pytest.MonkeyPatch) -> sessionmaker[Session]:
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    monkeypatch.setattr(db, "get_sessionmaker", lambda: factory)
    return factory


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def app(session_factory: sessionmaker[Session]) -> FastAPI:
    """The application as served: its requests open their units of work through
    ``db.unit_of_work`` (the API and console dependency), from the test's session factory."""
    return create_app()


def post_like_a_page(request: httpx.Request) -> None:
    """Requests sent as the console's and portal's own pages send them: from the same origin,
    with the session's CSRF token (the layout's ``hx-headers``). Bearer calls need neither."""
    if request.method in csrf.SAFE_METHODS or "authorization" in request.headers:
        return
    request.headers.setdefault("origin", f"{request.url.scheme}://{request.url.netloc.decode()}")
    cookies = SimpleCookie(request.headers.get("cookie", ""))
    name = csrf.PORTAL_COOKIE if request.url.path.startswith(csrf.PORTAL_PREFIX) else auth_deps.SESSION_COOKIE
    if name in cookies:
        request.headers.setdefault(csrf.HEADER, csrf.token_for(cookies[name].value))


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    client = TestClient(app, raise_server_exceptions=True)
    client.event_hooks["request"].append(post_like_a_page)
    return client


@pytest.fixture
def auth_headers(session: Session) -> Callable[..., dict[str, str]]:
    """``auth_headers(Role.AGENT)`` -> headers of a fresh user with that role."""

    def headers(role: Role = Role.AGENT) -> dict[str, str]:
        user = make_user(session, role=role)
        token = issue_token(session, user=user)
        session.flush()
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def shared_data() -> Path:
    """``shared/data`` in the nearest folder above the checkout that has it (a worktree sits deeper)."""
    here = Path(__file__).resolve()
    found = (p / "shared" / "data" for p in here.parents if (p / "shared" / "data").is_dir())
    return next(found, here.parents[2] / "shared" / "data")


@pytest.fixture
def unmasked_admins(monkeypatch: pytest.MonkeyPatch) -> None:
    """A shop that lets its admins see whole phone numbers and addresses (AFTERSALES_PII_UNMASKED_ROLES)."""
    monkeypatch.setattr(get_settings(), "pii_unmasked_roles", ["admin"])
