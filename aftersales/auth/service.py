import hashlib
import secrets
from datetime import timedelta

from pwdlib import PasswordHash
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.errors import InvalidCredentialsError, InvalidTokenError, UsernameTakenError
from aftersales.auth.models import ApiToken, Role, User
from aftersales.config import get_settings
from aftersales.kit.time import utcnow

_hasher = PasswordHash.recommended()
# Verifying against a dummy hash for unknown users keeps login timing the same either way.
_DUMMY_HASH = _hasher.hash("timing-equaliser")


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_user(session: Session, *, username: str, display_name: str, role: Role, password: str) -> User:
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTakenError(username)
    user = User(username=username, display_name=display_name, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.is_active:
        _hasher.verify(password, _DUMMY_HASH)
        raise InvalidCredentialsError()
    if not _hasher.verify(password, user.password_hash):
        raise InvalidCredentialsError()
    return user


def issue_token(session: Session, *, user: User, name: str = "login", ttl: timedelta | None = None) -> str:
    raw = secrets.token_urlsafe(32)
    ttl = ttl if ttl is not None else timedelta(hours=get_settings().token_ttl_hours)
    session.add(ApiToken(user_id=user.id, token_hash=hash_token(raw), name=name, expires_at=utcnow() + ttl))
    session.flush()
    return raw


def resolve_token(session: Session, raw: str) -> User:
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
    return user


def revoke_token(session: Session, raw: str) -> None:
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is not None:
        session.delete(token)
