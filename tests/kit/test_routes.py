"""Routers passed over by their paths' literal parts match exactly as their own matching does."""

import re

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match

from aftersales.kit.routes import literal_prefixes

METHODS = ("GET", "POST", "PUT", "DELETE")


def sample_paths(app: FastAPI) -> list[str]:
    """Every route's path with values in its parameters, with and without a trailing slash, and
    paths no route has."""
    paths = {"/", "/api", "/api/", "/api/nothing-here", "/console/nothing-here", "/static/app.css"}
    routes = [
        r
        for top in app.routes
        for r in (top.original_router.routes if hasattr(top, "original_router") else [top])
    ]
    for route in routes:
        path = getattr(route, "path", None)
        if path is None:
            continue
        path = re.sub(r"\{[^}:]+:path\}", "a/b", re.sub(r"\{[^}:]+(:(int|str))?\}", "1", path))
        paths.update({path, path.rstrip("/") or "/", path + "/"})
    return sorted(paths)


def scope(method: str, path: str) -> dict[str, object]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}


def test_the_application_passes_over_most_routers(app: FastAPI) -> None:
    quick = [r for r in app.router.routes if "matches" in vars(r)]
    assert len(quick) >= 10
    assert all(literal_prefixes(r) for r in quick)


def test_every_match_is_the_routers_own(app: FastAPI) -> None:
    routers: list[BaseRoute] = [r for r in app.router.routes if "matches" in vars(r)]
    for path in sample_paths(app):
        for method in METHODS:
            for router in routers:
                plain = type(router).matches(router, scope(method, path))
                assert router.matches(scope(method, path)) == plain, (method, path)


def test_the_samples_reach_every_router(app: FastAPI) -> None:
    """Not a vacuous comparison: each router fully matches some sample."""
    routers = [r for r in app.router.routes if "matches" in vars(r)]
    matched = {
        id(router)
        for path in sample_paths(app)
        for method in METHODS
        for router in routers
        if router.matches(scope(method, path))[0] == Match.FULL
    }
    assert matched == {id(router) for router in routers}
