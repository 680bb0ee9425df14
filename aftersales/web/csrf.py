"""Cross-site request forgery defence for everything a browser's cookie authenticates.

SameSite=Lax is not enough: a page on another port of the same host is "same site", so the
browser sends the console cookie with its forms. Every unsafe request authenticated by a
cookie (the console's or the portal's) therefore needs both

* an ``Origin`` (or, without one, ``Referer``) whose scheme, host and port are this server's, and
* the session's token, in the ``X-CSRF-Token`` header (htmx: ``hx-headers`` on the layout's
  ``<body>``) or the ``csrf_token`` form field (added to every POST form when a page is rendered).

The token is an HMAC of the session cookie under the secret key: one per session, nothing to
store, valid on any worker. Requests with an ``Authorization`` header (API clients with bearer
tokens) carry no ambient credentials and are not checked. Without any session cookie only a
foreign ``Origin`` is refused (log-in forms).
"""

import hashlib
import hmac
import re
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse
from starlette.datastructures import FormData

from aftersales.auth.deps import SESSION_COOKIE
from aftersales.config import get_settings
from aftersales.kit.errors import AftersalesError

HEADER = "X-CSRF-Token"
FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
PORTAL_PREFIX = "/portal"
PORTAL_COOKIE = "aftersales_portal"
_FORM_CONTENT = ("application/x-www-form-urlencoded", "multipart/form-data")
_POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post\b[^>]*>", re.IGNORECASE)


class CsrfError(AftersalesError):
    status_code = 403

    def __init__(self, message: str = "页面已过期或请求来源不明,请刷新页面后重试") -> None:
        super().__init__(message)


def token_for(session_value: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"csrf:{session_value}".encode(), hashlib.sha256).hexdigest()


def _cookie_name(request: Request) -> str:
    return PORTAL_COOKIE if request.url.path.startswith(PORTAL_PREFIX) else SESSION_COOKIE


def request_token(request: Request) -> str | None:
    """The token pages rendered for this request embed; None without a session."""
    session_value = request.cookies.get(_cookie_name(request))
    return token_for(session_value) if session_value else None


def client_address(request: Request) -> str:
    """The peer's address (the proxy's client when uvicorn runs with --proxy-headers)."""
    return request.client.host if request.client else ""


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _claimed_origin(request: Request) -> str | None:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin.lower()
    referer = request.headers.get("referer")
    return _origin_of(referer) if referer else None


def same_origin(request: Request) -> bool:
    return _claimed_origin(request) == _origin_of(str(request.base_url))


def _bearer(request: Request) -> bool:
    return request.headers.get("authorization", "").lower().startswith("bearer ")


def check(request: Request, form: FormData | None) -> None:
    """Raise ``CsrfError`` unless this request may change anything; ``form`` when already read."""
    if request.method in SAFE_METHODS or _bearer(request):
        return
    session_value = request.cookies.get(_cookie_name(request))
    if session_value is None:
        if "origin" in request.headers and not same_origin(request):
            raise CsrfError("请求来自其他站点,已拒绝")
        return
    if not same_origin(request):
        raise CsrfError("请求来自其他站点,已拒绝")
    sent = request.headers.get(HEADER)
    if sent is None and form is not None:
        value = form.get(FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, token_for(session_value)):
        raise CsrfError()


async def require_csrf(request: Request) -> None:
    """App-wide dependency for the FastAPI routes (the form it reads is cached for the handler)."""
    form = None
    if (
        request.method not in SAFE_METHODS
        and HEADER not in request.headers
        and request.headers.get("content-type", "").startswith(_FORM_CONTENT)
    ):
        form = await request.form()
    check(request, form)


def add_token_to_forms(response: HTMLResponse, token: str | None) -> HTMLResponse:
    """Give every POST form of a rendered page the hidden token field, so templates need no change."""
    if token is None:
        return response
    html = bytes(response.body).decode()
    field = f'<input type="hidden" name="{FIELD}" value="{token}">'
    patched = _POST_FORM.sub(lambda match: match.group(0) + field, html)
    if patched != html:
        response.body = patched.encode()
        response.headers["content-length"] = str(len(response.body))
    return response
