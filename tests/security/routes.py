"""Discovery of the application's routes and of the role each one declares, for the security tests.

Routes are found in ``create_app()`` (so a route added by any domain is covered the moment it is
registered); the minimum role is read from the route's dependency tree: ``CurrentUser`` means any
logged-in user (agent), ``RequireSupervisor`` / ``RequireAdmin`` carry their role in the closure of
``auth.deps.require_role``.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from aftersales.auth.deps import get_current_user
from aftersales.auth.models import Role

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}

# Routes anyone may call: logging in, health checks, the login page, static files and API docs.
PUBLIC: set[tuple[str, str]] = {
    ("POST", "/api/auth/token"),
    ("GET", "/healthz"),
    ("GET", "/"),
    # Redirect-only: to the static icon browsers ask every site for.
    ("GET", "/favicon.ico"),
    ("GET", "/console/login"),
    ("POST", "/console/login"),
    # Redirect-only: sends everyone to /console/analytics/trends, which requires a login.
    ("GET", "/console/analytics"),
}
PUBLIC_PREFIXES = ("/static", "/docs", "/redoc", "/openapi.json")


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    declared_role: Role | None
    signed_webhook: bool

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def url(self) -> str:
        """The path with every parameter filled by a plausible value (auth runs before lookups)."""
        return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: "zto" if m.group(1) == "source" else "1", self.path)

    @property
    def is_public(self) -> bool:
        return (self.method, self.path) in PUBLIC or self.path.startswith(PUBLIC_PREFIXES)


def _api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) for every API route, nested routers included.

    FastAPI >= 0.16x keeps included routers lazily (``_IncludedRouter``); their effective
    contexts carry the full path, while the original route keeps only its own router's prefix.
    """
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            for context in contexts():
                if isinstance(context.original_route, APIRoute):
                    yield context.path, context.original_route
        elif isinstance(route, APIRoute):
            yield route.path, route


def _calls(dependant: Dependant) -> Iterator[object]:
    for dependency in dependant.dependencies:
        if dependency.call is not None:
            yield dependency.call
        yield from _calls(dependency)


def _declared_role(dependant: Dependant) -> Role | None:
    roles: list[Role] = []
    for call in _calls(dependant):
        if call is get_current_user:
            roles.append(Role.AGENT)
        for cell in getattr(call, "__closure__", None) or ():
            if isinstance(cell.cell_contents, Role):
                roles.append(cell.cell_contents)
    return max(roles, key=lambda r: r.rank) if roles else None


def _is_signed_webhook(dependant: Dependant) -> bool:
    return any(hasattr(call, "webhook_source_param") for call in _calls(dependant))


def discover(app: FastAPI) -> list[RouteInfo]:
    infos = {
        RouteInfo(method, path, _declared_role(route.dependant), _is_signed_webhook(route.dependant))
        for path, route in _api_routes(app)
        for method in route.methods
        if method != "HEAD"
    }
    return sorted(infos, key=lambda r: (r.path, r.method))
