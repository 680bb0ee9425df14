"""Route matching that passes over a router none of whose paths can match the request.

FastAPI matches a request against the included routers in order, and inside each router against
its routes one by one, with a few calls of bookkeeping per route: a call to a router included
late (chats, QC, analytics, the console) paid about half a millisecond of matching before its
handler ran. A route's pattern matches only paths that begin with its literal part (the text
before its first ``{``), so a router whose routes' literal parts the request's path begins with
none of is answered "no match" at once; otherwise the router matches as it always did.

This is a speed trick: ``skip_foreign_routers`` must leave every match as the routers' own
``matches`` gives it (the plain reference); ``tests/kit/test_routes.py`` compares the two for
every route of the application.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match, Route
from starlette.types import Scope

Matcher = Callable[[Scope], tuple[Match, Scope]]


def skip_foreign_routers(app: FastAPI) -> None:
    """Give each router the application included whole (no include prefix, only plain routes) a
    quick first test of the request's path."""
    for included in app.router.routes:
        prefixes = literal_prefixes(included)
        if prefixes:
            included.matches = _first_test(included.matches, prefixes)  # type: ignore[method-assign,assignment]


def literal_prefixes(included: Any) -> tuple[str, ...] | None:
    """The literal parts of an included router's paths; ``None`` for anything else, or for a
    router with a route that is not a plain path route (a mount, a host, a nested router)."""
    router = getattr(included, "original_router", None)
    context = getattr(included, "include_context", None)
    if not isinstance(router, APIRouter) or getattr(context, "prefix", None) != "":
        return None
    if getattr(router, "_low_priority_routes", None):
        return None
    if not all(type(route) in (APIRoute, Route) for route in router.routes):
        return None
    return tuple(route.path.split("{", 1)[0] for route in router.routes if isinstance(route, Route))


def _first_test(matches: Matcher, prefixes: tuple[str, ...]) -> Matcher:
    def quick(scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] == "http" and not get_route_path(scope).startswith(prefixes):
            return Match.NONE, {}
        return matches(scope)

    return quick
