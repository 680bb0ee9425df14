"""Login, logout and the console's home page."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aftersales.auth import service
from aftersales.auth.deps import SESSION_COOKIE, CurrentUser, SessionDep
from aftersales.auth.errors import InvalidCredentialsError, LoginThrottledError
from aftersales.config import get_settings
from aftersales.web.csrf import client_address
from aftersales.web.home import cards_for, tiles_for
from aftersales.web.render import render

router = APIRouter(prefix="/console", include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only same-site paths: an open redirect would help phishing."""
    if target and target.startswith("/console") and not target.startswith("//"):
        return target
    return "/console/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", next=_safe_next(next), error=None)


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str | None, Form()] = None,
) -> Response:
    try:
        user = service.authenticate(
            session, username=username, password=password, client=client_address(request)
        )
    except (InvalidCredentialsError, LoginThrottledError) as exc:
        status = exc.status_code  # 401 wrong password, 429 throttled; the failure is committed either way
        return render(request, "login.html", status_code=status, next=_safe_next(next), error=exc.message)
    token = service.issue_token(session, user=user, name="console")
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        max_age=get_settings().token_ttl_hours * 3600,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, _: CurrentUser) -> Response:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        service.revoke_token(session, raw)
    response = RedirectResponse("/console/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    """What needs doing now for the user's role (tiles the domains register), then every page."""
    return render(request, "home.html", tiles=tiles_for(session, user), cards=cards_for(session, user))
