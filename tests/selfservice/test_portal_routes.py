"""Every customer-portal route except the two entry points needs the portal session cookie.

The portal's routes are Starlette routes (customers have no staff account), so the staff-route
security test does not cover them; this test discovers them from the application instead.
"""

import re

import pytest
from fastapi.testclient import TestClient
from starlette.routing import Route

from aftersales.api import create_app
from aftersales.selfservice.portal import PUBLIC_PATHS


def _routes() -> list[object]:
    app = create_app()
    try:  # FastAPI >= 0.16x keeps included routers lazily
        from fastapi.routing import _iter_included_route_candidates

        return list(_iter_included_route_candidates(app.routes))
    except ImportError:
        return list(app.routes)


PORTAL_ROUTES = sorted(
    (method, route.path)
    for route in _routes()
    if isinstance(route, Route) and route.path.startswith("/portal")
    for method in (route.methods or set())
    if method != "HEAD"
)


def _url(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_discovery_finds_the_portal_routes() -> None:
    assert ("GET", "/portal/") in PORTAL_ROUTES
    assert ("POST", "/portal/apply/{flow}") in PORTAL_ROUTES


@pytest.mark.parametrize(
    ("method", "path"), [r for r in PORTAL_ROUTES if r[1] not in PUBLIC_PATHS], ids=lambda v: str(v)
)
def test_portal_route_sends_anonymous_customers_to_the_login_page(
    client: TestClient, method: str, path: str
) -> None:
    response = client.request(method, _url(path), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/portal/login"


@pytest.mark.parametrize(
    ("method", "path"), [r for r in PORTAL_ROUTES if r[1] not in PUBLIC_PATHS], ids=lambda v: str(v)
)
def test_staff_token_does_not_open_the_portal(
    client: TestClient,
    auth_headers,
    method: str,
    path: str,  # type: ignore[no-untyped-def]
) -> None:
    response = client.request(method, _url(path), headers=auth_headers(), follow_redirects=False)
    assert response.status_code == 303
