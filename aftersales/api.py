"""The FastAPI application: every domain's API and console routers, one error contract.

Errors are ``{"error": "<Name>", "detail": "<message>"}``; invalid input is 422 with each field
named. Console pages (``/console``) render the same errors as HTML.
"""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from aftersales import __version__
from aftersales.config import get_settings
from aftersales.kit.errors import AftersalesError, NotAuthenticatedError
from aftersales.kit.integrity import foreign_key_field, is_foreign_key_violation
from aftersales.kit.memory import freeze_long_lived, paused_collector
from aftersales.kit.routes import skip_foreign_routers
from aftersales.registry import import_domain_modules, load_all_models
from aftersales.web.filters import DropEmptyQueryValues, describe_invalid

log = logging.getLogger(__name__)

# Starlette's own errors (no route, wrong method…) in the project's shape, with a Chinese detail.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    404: ("NotFound", "地址不存在"),
    405: ("MethodNotAllowed", "不支持该请求方法"),
    413: ("RequestTooLarge", "请求内容超过大小上限"),
}

STATIC_DIR = Path(__file__).parent / "web" / "static"


def _is_console(request: Request) -> bool:
    return request.url.path.startswith("/console")


def _field_errors(exc: RequestValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(p) for p in err["loc"] if p != "body") or "body", "reason": err["msg"]}
        for err in exc.errors()
    ]


def _error_response(request: Request, status: int, name: str, detail: str, **extra: Any) -> Response:
    if _is_console(request):
        from aftersales.web.render import render_error

        if status == 401:
            return RedirectResponse(f"/console/login?next={request.url.path}", status_code=303)
        return render_error(request, status, detail)
    return JSONResponse({"error": name, "detail": detail, **extra}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AftersalesError)
    async def _domain_error(request: Request, exc: AftersalesError) -> Response:
        response = _error_response(request, exc.status_code, type(exc).__name__, exc.message)
        if isinstance(exc, NotAuthenticatedError) and not _is_console(request):
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid_input(request: Request, exc: RequestValidationError) -> Response:
        if _is_console(request):
            return _error_response(request, 422, "ValidationError", describe_invalid(exc.errors()))
        fields = _field_errors(exc)
        detail = "; ".join(f"{f['field']}: {f['reason']}" for f in fields)
        return _error_response(request, 422, "ValidationError", detail, fields=fields)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        name, detail = HTTP_ERRORS.get(exc.status_code, ("HTTPError", "请求无法处理"))
        response = _error_response(
            request, exc.status_code, name, f"{detail}: {request.method} {request.url.path}"
        )
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        """A number the database cannot hold (e.g. an id beyond 64 bits) is bad input, not a crash."""
        return _error_response(request, 422, "ValidationError", "数值超出范围或格式不被数据库接受")

    @app.exception_handler(IntegrityError)
    async def _broken_reference(request: Request, exc: IntegrityError) -> Response:
        """An id that names no row (``ticket_id=999999``) reached a foreign key: the client's mistake.
        Other constraint failures (a duplicate) are conflicts. Neither is a crash."""
        if not is_foreign_key_violation(exc):
            return _error_response(request, 409, "Conflict", "与已有数据冲突,未保存")
        field = foreign_key_field(exc) or "body"
        return _error_response(
            request,
            422,
            "ValidationError",
            f"{field}: 引用的记录不存在",
            fields=[{"field": field, "reason": "引用的记录不存在"}],
        )

    @app.exception_handler(OperationalError)
    async def _database_down(request: Request, exc: OperationalError) -> Response:
        log.error("database unavailable: %s", exc.orig)
        return _error_response(
            request, 503, "DatabaseUnavailable", "数据库暂时不可用,请稍后重试;本次请求未保存任何数据"
        )


_VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "title": "HTTPValidationError",
    "description": "Invalid input: the error contract of this API (not FastAPI's default shape).",
    "type": "object",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "example": "ValidationError"},
        "detail": {"type": "string"},
        "fields": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {"field": {"type": "string"}, "reason": {"type": "string"}},
            },
        },
    },
}


def _document_error_contract(app: FastAPI) -> None:
    """Make the documented 422 body match what the handlers return, so clients and schemathesis agree."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = _VALIDATION_ERROR_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Once the worker has imported and built everything, keep it out of the collector's way.
    The text models (jieba, scikit-learn) are not part of that: they load with the first request
    that needs them, so a worker answers sooner."""
    freeze_long_lived()
    yield


def create_app() -> FastAPI:
    """The application, built with the cyclic collector paused.

    Building it imports every domain and declares its models and routes: a few hundred thousand
    objects that live as long as the worker, and each collection on the way walked all of them
    again (a fifth of the start-up CPU). The lifespan collects once and freezes them.
    """
    with paused_collector():
        return _build_app()


def _build_app() -> FastAPI:
    from aftersales.kit.logmask import install as mask_phone_numbers_in_logs
    from aftersales.web.csrf import require_csrf
    from aftersales.web.middleware import (
        BodySizeLimitMiddleware,
        RefuseNulMiddleware,
        SecurityHeadersMiddleware,
    )

    get_settings().require_private_key()
    mask_phone_numbers_in_logs()
    load_all_models()
    app = FastAPI(
        title="aftersales",
        version=__version__,
        description="售后运营平台 API: tickets, logistics follow-up, retention, QC, reviews, analytics.",
        lifespan=_lifespan,
        dependencies=[Depends(require_csrf)],
    )
    install_error_handlers(app)
    app.add_middleware(DropEmptyQueryValues)
    _document_error_contract(app)
    _add_own_routes(app)
    for module in import_domain_modules("api"):
        app.include_router(module.router)
    for module in import_domain_modules("console"):
        app.include_router(module.router)
    skip_foreign_routers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(RefuseNulMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=get_settings().max_request_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    return app


def _add_own_routes(app: FastAPI) -> None:
    """The root, the icon and the health check, ahead of the domains' routers: a request is
    matched against the routes in order, one by one, and the health check (asked every few
    seconds by a load balancer) came after every other route, 1.4 ms of matching each time."""

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/console/")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> RedirectResponse:
        return RedirectResponse("/static/favicon.svg", status_code=301)

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}
