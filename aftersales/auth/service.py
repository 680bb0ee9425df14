import hashlib
import secrets
from datetime import datetime, timedelta
from functools import cache

from pwdlib import PasswordHash
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from aftersales.auth.errors import (
    InvalidCredentialsError,
    InvalidTokenError,
    LoginThrottledError,
    UsernameTakenError,
)
from aftersales.auth.models import ApiToken, LoginFailure, Role, User
from aftersales.config import get_settings
from aftersales.kit.time import utcnow

_hasher = PasswordHash.recommended()
# Login throttling per user name and client address: a few free mistakes, then a lock that doubles
# with each further failure (30 s, 1 min, 2 min … at most 15 min). Counted over the last half hour.
FREE_FAILURES = 5
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(minutes=15)
FAILURE_WINDOW = timedelta(minutes=30)


@cache
def _dummy_hash() -> str:
    """Verifying against a dummy hash for unknown users keeps login timing the same either way.
    Made on first use: an argon2 hash costs half a second of CPU, which every command paid at
    import (the server makes it while warming up)."""
    return _hasher.hash("timing-equaliser")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_user(session: Session, *, username: str, display_name: str, role: Role, password: str) -> User:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTakenError(username)
    user = User(username=username, display_name=display_name, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    return user


def _locked_until(failures: int, last_failure: datetime) -> datetime | None:
    if failures < FREE_FAILURES:
        return None
    lock = min(FIRST_LOCK * 2 ** min(failures - FREE_FAILURES, 16), LONGEST_LOCK)
    return last_failure + lock


def _ensure_not_throttled(session: Session, *, username: str, client: str, now: datetime) -> None:
    failures, last = session.execute(
        select(func.count(LoginFailure.id), func.max(LoginFailure.failed_at)).where(
            LoginFailure.username == username[:64],
            LoginFailure.client == client,
            LoginFailure.failed_at > now - FAILURE_WINDOW,
        )
    ).one()
    until = _locked_until(failures, last) if last is not None else None
    if until is not None and until > now:
        raise LoginThrottledError(int((until - now).total_seconds()) + 1)


def _check_password(session: Session, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        _hasher.verify(password, _dummy_hash())
        raise InvalidCredentialsError()
    if not _hasher.verify(password, user.password_hash):
        raise InvalidCredentialsError()
    return user


def authenticate(session: Session, *, username: str, password: str, client: str = "") -> User:
    """The user, unless the password is wrong or this name has failed too often from ``client``.

    A failure is written before the error is raised; the caller commits it (the request fails,
    the count must not roll back with it). While throttled even the right password is refused.
    """
    now = utcnow()
    _ensure_not_throttled(session, username=username, client=client, now=now)
    try:
        user = _check_password(session, username, password)
    except InvalidCredentialsError:
        session.execute(delete(LoginFailure).where(LoginFailure.failed_at < now - FAILURE_WINDOW))
        session.add(LoginFailure(username=username[:64], client=client, failed_at=now))
        session.flush()
        raise
    session.execute(
        delete(LoginFailure).where(LoginFailure.username == username, LoginFailure.client == client)
    )
    return user


def issue_token(session: Session, *, user: User, name: str = "login", ttl: timedelta | None = None) -> str:
    raw = secrets.token_urlsafe(32)
    ttl = ttl if ttl is not None else timedelta(hours=get_settings().token_ttl_hours)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(raw), name=name, expires_at=utcnow() + ttl))
    session.flush()
    return raw


def resolve_token(session: Session, raw: str) -> User:
    """The token's user, read now (``auth.tokens.current_user`` is the cached version requests use)."""
    return verified_token(session, raw)[1]


def verified_token(session: Session, raw: str) -> tuple[ApiToken, User]:
    """The token and its user; ``InvalidTokenError`` if unknown (or revoked), expired or its user inactive."""
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == hash_token(raw))
    ).first()
    if row is None:
        raise InvalidTokenError()
    token, user = row
    if not user.is_active or (token.expires_at is not None and token.expires_at < utcnow()):
        raise InvalidTokenError()
    return token, user


def revoke_token(session: Session, raw: str) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is not None:
        session.delete(token)
