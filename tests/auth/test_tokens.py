"""Bearer tokens kept per process: the same user as a fresh read, refused as soon as it must be."""

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.auth import tokens
from aftersales.auth.errors import InvalidTokenError
from aftersales.auth.models import ApiToken, Role, User
from aftersales.auth.service import hash_token, issue_token, resolve_token, revoke_token
from aftersales.config import get_settings
from aftersales.kit.time import utcnow
from tests.builders import make_user
from tests.databases import statements


def outcome(resolve: Callable[[], User]) -> tuple[int, Role] | str:
    try:
        user = resolve()
    except InvalidTokenError:
        return "refused"
    return user.id, user.role


def _revoke(session: Session, _user: User, raw: str) -> None:
    revoke_token(session, raw)


def _deactivate(_session: Session, user: User, _raw: str) -> None:
    user.is_active = False


def _promote(_session: Session, user: User, _raw: str) -> None:
    user.role = Role.ADMIN


def _expire(session: Session, _user: User, raw: str) -> None:
    token = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(raw))).one()
    token.expires_at = utcnow() - timedelta(seconds=1)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    tokens.forget_all()
    yield
    tokens.forget_all()


class TestCachedEqualsFresh:
    @pytest.mark.parametrize("change", [None, _revoke, _deactivate, _promote, _expire])
    def test_after_each_kind_of_change(
        self, session_factory: sessionmaker[Session], change: Callable[[Session, User, str], None] | None
    ) -> None:
        with session_factory() as session:
            user = make_user(session, role=Role.AGENT)
            raw = issue_token(session, user=user)
            session.commit()
        with session_factory() as session:
            tokens.current_user(session, raw)  # now kept by this process
        if change is not None:
            with session_factory() as session:
                change(session, session.get_one(User, user.id), raw)
                session.commit()
        with session_factory() as cached, session_factory() as fresh:
            assert outcome(lambda: tokens.current_user(cached, raw)[0]) == outcome(
                lambda: resolve_token(fresh, raw)
            )


class TestKept:
    def test_a_known_token_costs_no_statement(self, session_factory: sessionmaker[Session]) -> None:
        with session_factory() as session:
            raw = issue_token(session, user=make_user(session))
            session.commit()
        with session_factory() as session:
            tokens.current_user(session, raw)
        with session_factory() as session, statements(session) as seen:
            user, snapshot = tokens.current_user(session, raw)
            assert user in session
            assert (user.id, user.username) == (snapshot.id, snapshot.username)
        assert [s for s in seen if "FROM api_tokens" in s] == []

    def test_nothing_is_kept_with_zero_seconds(
        self, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(get_settings(), "token_cache_seconds", 0)
        with session_factory() as session:
            raw = issue_token(session, user=make_user(session))
            session.commit()
        with session_factory() as session:
            tokens.current_user(session, raw)
        with session_factory() as session, statements(session) as seen:
            tokens.current_user(session, raw)
        assert [s for s in seen if "FROM api_tokens" in s] != []

    def test_a_kept_token_is_read_again_after_its_seconds(
        self, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with session_factory() as session:
            raw = issue_token(session, user=make_user(session))
            session.commit()
        with session_factory() as session:
            tokens.current_user(session, raw)
        later = tokens.time.monotonic() + get_settings().token_cache_seconds
        monkeypatch.setattr(tokens.time, "monotonic", lambda: later)
        with session_factory() as session:
            assert tokens.known_user(session, raw) is None

    def test_a_kept_token_is_refused_once_it_expires(
        self, session_factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        with session_factory() as session:
            raw = issue_token(session, user=make_user(session), ttl=timedelta(minutes=1))
            session.commit()
        with session_factory() as session:
            tokens.current_user(session, raw)
        monkeypatch.setattr(tokens, "utcnow", lambda: utcnow() + timedelta(minutes=2))
        with session_factory() as session, pytest.raises(InvalidTokenError):
            tokens.current_user(session, raw)


class TestOverTheApi:
    def test_a_deactivated_user_is_refused_at_the_next_call(
        self, client: TestClient, session: Session
    ) -> None:
        user = make_user(session, role=Role.AGENT)
        headers = {"Authorization": f"Bearer {issue_token(session, user=user)}"}
        session.flush()
        assert client.get("/api/me", headers=headers).status_code == 200
        user.is_active = False
        session.flush()
        assert client.get("/api/me", headers=headers).status_code == 401

    def test_a_promoted_user_has_the_new_role_at_the_next_call(
        self, client: TestClient, session: Session
    ) -> None:
        user = make_user(session, role=Role.AGENT)
        headers = {"Authorization": f"Bearer {issue_token(session, user=user)}"}
        session.flush()
        assert client.get("/api/users", headers=headers).status_code == 403
        user.role = Role.ADMIN
        session.flush()
        assert client.get("/api/users", headers=headers).status_code == 200
