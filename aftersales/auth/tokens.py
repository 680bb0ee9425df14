"""Bearer tokens resolved once per process for a few seconds, not on every request.

Every API call is authenticated; resolving its token (one joined read of the token and its user)
was a fifth of a simple call's CPU, for the same answer all day. A verified token is therefore
kept per process, by its SHA-256, for ``AFTERSALES_TOKEN_CACHE_SECONDS`` (5 s by default, 0 turns
the cache off) with a detached copy of its user; each request still checks the token's expiry
and gets its own copy of the user in its session (``merge`` without a query).

What still holds: in the process that revokes a token, deactivates a user or changes a role, the
next request is refused or sees the new role at once (any flush that updates or deletes a user or
a token empties the cache); every other process sees it within the cache's seconds. Unknown,
expired and revoked tokens are never kept.

This is a speed trick: ``current_user`` must always resolve to what ``service.resolve_token``
(the plain reference, read now) resolves to; ``tests/auth/test_tokens.py::TestCachedEqualsFresh``
compares the two after each kind of change.
"""

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, make_transient_to_detached

from aftersales.auth.errors import InvalidTokenError
from aftersales.auth.models import ApiToken, User
from aftersales.auth.schemas import UserRead
from aftersales.auth.service import hash_token, verified_token
from aftersales.config import get_settings
from aftersales.kit.time import utcnow

# Enough for every user of a shop's team many times over; the oldest entries go first.
KEEP_TOKENS = 4096
_USER_COLUMNS = tuple(column.key for column in User.__mapper__.column_attrs)


@dataclass(frozen=True)
class _Verified:
    user: User  # detached and never attached: each request merges a copy of its own
    read: UserRead
    expires_at: datetime | None
    checked_at: float


_cache: dict[tuple[Any, str], _Verified] = {}


def current_user(session: Session, raw: str) -> tuple[User, UserRead]:
    """The token's user in ``session`` and its read snapshot; ``InvalidTokenError`` for an
    unknown, expired or revoked token or an inactive user (as ``service.resolve_token``)."""
    return known_user(session, raw) or _in_session(session, _verify(session, raw))


def known_user(session: Session, raw: str) -> tuple[User, UserRead] | None:
    """``current_user`` from this process's memory alone (no statement, so no thread is needed
    to wait for the database); ``None`` when the token must be read."""
    found = _cache.get(_key(session, raw))
    if found is None or time.monotonic() - found.checked_at >= get_settings().token_cache_seconds:
        return None
    return _in_session(session, found)


def _in_session(session: Session, found: _Verified) -> tuple[User, UserRead]:
    if found.expires_at is not None and found.expires_at < utcnow():
        raise InvalidTokenError()
    return session.merge(found.user, load=False), found.read


def _key(session: Session, raw: str) -> tuple[Any, str]:
    return session.get_bind().engine.url, hash_token(raw)


def _verify(session: Session, raw: str) -> _Verified:
    token, user = verified_token(session, raw)
    found = _Verified(_detached_copy(user), UserRead.model_validate(user), token.expires_at, time.monotonic())
    if get_settings().token_cache_seconds > 0:
        key = _key(session, raw)
        _cache.pop(key, None)
        _cache[key] = found
        while len(_cache) > KEEP_TOKENS:
            _cache.pop(next(iter(_cache)), None)
    return found


def _detached_copy(user: User) -> User:
    """A copy that belongs to no session, so threads may share it and sessions merge it."""
    copy = User(**{column: getattr(user, column) for column in _USER_COLUMNS})
    make_transient_to_detached(copy)
    return copy


def forget_all() -> None:
    _cache.clear()


@event.listens_for(User, "after_update")
@event.listens_for(User, "after_delete")
@event.listens_for(ApiToken, "after_update")
@event.listens_for(ApiToken, "after_delete")
def _forget_on_change(_mapper: Any, _connection: Any, _target: Any) -> None:
    forget_all()
