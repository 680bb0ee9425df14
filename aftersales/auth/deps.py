"""FastAPI dependencies: the session (one unit of work per request) and the current user."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from aftersales.auth.errors import InvalidTokenError
from aftersales.auth.models import Role, User
from aftersales.auth.schemas import UserRead
from aftersales.auth.service import resolve_token
from aftersales.db import unit_of_work
from aftersales.kit.errors import PermissionDeniedError

SESSION_COOKIE = "aftersales_session"


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """The request's unit of work: committed when the handler returns, rolled back on any error.

    Reads (GET) begin without SQLite's write lock; every other method takes it at the start.
    """
    with unit_of_work(read_only=request.method in SAFE_METHODS) as session:
        yield session


# "function" scope: commit before the response is sent, so a client never reads ahead of its own
# write and a failed commit becomes an error response (FastAPI's default ends after sending).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/auth/token")


def get_current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    raw = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise InvalidTokenError()
    user = resolve_token(session, raw)
    # A detached snapshot: error pages render after the request's session has rolled back.
    request.state.user = UserRead.model_validate(user)
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(role: Role) -> object:
    def check(user: CurrentUser) -> User:
        if not user.role.at_least(role):
            raise PermissionDeniedError(f"需要{role.label}及以上权限")
        return user

    return Depends(check)


RequireAgent = Annotated[User, require_role(Role.AGENT)]
RequireSupervisor = Annotated[User, require_role(Role.SUPERVISOR)]
RequireAdmin = Annotated[User, require_role(Role.ADMIN)]
