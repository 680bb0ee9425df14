"""Every route requires authentication, and each one lets in exactly the roles it should.

Routes are discovered from the application, so routes added by any domain are checked without
editing this file; ``MIN_ROLE`` is the table of expectations we maintain for the routes we know
(method, path -> the lowest role allowed). A route in the table whose declared dependency
disagrees fails; a route not yet in the table is checked against the role it declares.
"""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from aftersales.api import create_app
from aftersales.auth.models import Role
from tests.security.routes import MUTATING, RouteInfo, discover

Headers = Callable[..., dict[str, str]]

A, S, M = Role.AGENT, Role.SUPERVISOR, Role.ADMIN
MIN_ROLE: dict[tuple[str, str], Role] = {
    ("GET", "/api/me"): A,
    ("GET", "/api/users"): M,
    ("POST", "/api/users"): M,
    ("POST", "/api/orders/{order_id}/reveal"): S,
    ("GET", "/api/audit/entries"): M,
    ("GET", "/api/shops"): A,
    ("POST", "/api/shops"): M,
    ("GET", "/api/shops/{shop_id}/channels"): A,
    ("POST", "/api/shops/{shop_id}/channels"): M,
    ("GET", "/api/shops/{shop_id}/skus"): A,
    ("POST", "/api/shops/{shop_id}/skus"): S,
    ("PATCH", "/api/skus/{sku_id}"): S,
    ("GET", "/api/orders"): A,
    ("GET", "/api/orders/{order_id}"): A,
    ("POST", "/api/orders"): A,
    ("POST", "/api/orders/batch"): A,
    ("POST", "/api/shipments"): A,
    ("POST", "/api/shipments/batch"): A,
    ("POST", "/api/tracking-events"): A,
    ("POST", "/api/tracking-events/batch"): A,
    ("POST", "/console/logout"): A,
    ("GET", "/console/"): A,
    ("GET", "/console/orders"): A,
    ("GET", "/console/orders/{order_id}"): A,
}

ROUTES = discover(create_app())
PRIVATE = [r for r in ROUTES if not r.is_public and not r.signed_webhook]
SIGNED = [r for r in ROUTES if r.signed_webhook]
LOWER = {S: A, M: S}


def expected_role(route: RouteInfo) -> Role | None:
    return MIN_ROLE.get((route.method, route.path), route.declared_role)


def call(client: TestClient, route: RouteInfo, headers: dict[str, str] | None = None) -> int:
    response = client.request(route.method, route.url, headers=headers or {}, follow_redirects=False)
    return response.status_code


@pytest.fixture
def lenient_client(app: FastAPI) -> TestClient:
    """Handlers run with made-up ids and empty bodies; only the auth outcome matters here."""
    return TestClient(app, raise_server_exceptions=False)


def test_discovery_finds_the_foundation_routes() -> None:
    found = {(r.method, r.path) for r in ROUTES}
    assert {("POST", "/api/orders"), ("GET", "/api/orders/{order_id}"), ("POST", "/api/auth/token")} <= found


@pytest.mark.parametrize("route", PRIVATE, ids=lambda r: r.id)
def test_route_rejects_anonymous_requests(lenient_client: TestClient, route: RouteInfo) -> None:
    response = lenient_client.request(route.method, route.url, follow_redirects=False)
    if route.path.startswith("/console"):
        assert response.status_code == 303
        assert response.headers["location"].startswith("/console/login")
    else:
        assert response.status_code == 401
        assert response.json()["error"] in {"InvalidTokenError", "NotAuthenticatedError"}


@pytest.mark.parametrize("route", PRIVATE, ids=lambda r: r.id)
def test_route_rejects_a_forged_token(lenient_client: TestClient, route: RouteInfo) -> None:
    status = call(lenient_client, route, {"Authorization": "Bearer forged-token-123"})
    assert status == (303 if route.path.startswith("/console") else 401)


@pytest.mark.parametrize("route", SIGNED, ids=lambda r: r.id)
def test_signed_webhook_rejects_an_unsigned_request(lenient_client: TestClient, route: RouteInfo) -> None:
    assert call(lenient_client, route) == 401


@pytest.mark.parametrize("route", PRIVATE, ids=lambda r: r.id)
def test_route_declares_a_role_on_the_server(route: RouteInfo) -> None:
    assert route.declared_role is not None, f"{route.id} has no CurrentUser/Require* dependency"


@pytest.mark.parametrize(("key", "role"), sorted(MIN_ROLE.items()), ids=lambda v: str(v))
def test_table_role_matches_the_routes_dependency(key: tuple[str, str], role: Role) -> None:
    route = next((r for r in ROUTES if (r.method, r.path) == key), None)
    if route is None:
        pytest.skip(f"{key} is not registered (renamed or removed)")
    assert route.declared_role == role


@pytest.mark.parametrize("route", [r for r in PRIVATE if expected_role(r) in LOWER], ids=lambda r: r.id)
def test_user_below_the_minimum_role_is_forbidden(
    lenient_client: TestClient, auth_headers: Headers, route: RouteInfo
) -> None:
    role = expected_role(route)
    assert role is not None
    assert call(lenient_client, route, auth_headers(LOWER[role])) == 403


@pytest.mark.parametrize(
    "route",
    [r for r in PRIVATE if r.method in MUTATING and MIN_ROLE.get((r.method, r.path), A) != A],
    ids=lambda r: r.id,
)
def test_mutating_route_rejects_an_agent_where_the_table_says_so(
    lenient_client: TestClient, auth_headers: Headers, route: RouteInfo
) -> None:
    assert call(lenient_client, route, auth_headers(Role.AGENT)) == 403


@pytest.mark.parametrize("route", [r for r in PRIVATE if expected_role(r) is not None], ids=lambda r: r.id)
def test_user_with_the_minimum_role_gets_past_the_role_check(
    lenient_client: TestClient, auth_headers: Headers, route: RouteInfo
) -> None:
    role = expected_role(route)
    assert role is not None
    assert call(lenient_client, route, auth_headers(role)) not in {401, 403}
