"""FastAPI dependencies: the session (one unit of work per request) and the current user."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from aftersales.auth import tokens
from aftersales.auth.errors import InvalidTokenError
from aftersales.auth.models import Role, User
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


async def get_current_user(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    """Async so that a token this process verified a moment ago costs no trip to a worker thread;
    one it must read from the database is read in a worker thread, as a sync dependency would."""
    raw = credentials.credentials if credentials else request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise InvalidTokenError()
    found = tokens.known_user(session, raw)
    if found is None:
        found = await run_in_threadpool(tokens.current_user, session, raw)
    user, snapshot = found
    # A detached snapshot: error pages render after the request's session has rolled back.
    request.state.user = snapshot
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def require_role(role: Role) -> object:
    async def check(user: CurrentUser) -> User:  # no I/O: no worker thread
        if not user.role.at_least(role):
            raise PermissionDeniedError(f"需要{role.label}及以上权限")
        return user

    return Depends(check)


RequireAgent = Annotated[User, require_role(Role.AGENT)]
RequireSupervisor = Annotated[User, require_role(Role.SUPERVISOR)]
RequireAdmin = Annotated[User, require_role(Role.ADMIN)]
