"""Every route requires authentication, and each one lets in exactly the roles it should.

Routes are discovered from the application, so routes added by any domain are checked without
editing this file; ``MIN_ROLE`` is the table of expectations we maintain for the routes we know
(method, path -> the lowest role allowed). A route in the table whose declared dependency
disagrees fails; a route not yet in the table is checked against the role it declares.
"""

import itertools
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from aftersales.api import create_app
from aftersales.auth.deps import get_session
from aftersales.auth.models import Role, User
from aftersales.auth.service import issue_token
from tests.security.routes import MUTATING, RouteInfo, discover

Headers = Callable[..., dict[str, str]]

A, S, M = Role.AGENT, Role.SUPERVISOR, Role.ADMIN
MIN_ROLE: dict[tuple[str, str], Role] = {
    ("GET", "/console/audit"): M,
    ("POST", "/api/analytics/alerts/check"): S,
    ("GET", "/api/analytics/associations"): A,
    ("GET", "/api/analytics/forecast"): A,
    ("GET", "/api/analytics/funnel"): A,
    ("GET", "/api/analytics/report"): S,
    ("GET", "/api/analytics/scorecards"): A,
    ("PUT", "/api/analytics/targets"): S,
    ("GET", "/api/analytics/trends"): A,
    ("GET", "/api/audit/entries"): M,
    ("POST", "/api/chats/messages"): A,
    ("POST", "/api/chats/messages/batch"): A,
    ("GET", "/api/chats/sessions"): A,
    ("GET", "/api/chats/sessions/{session_id}"): A,
    ("PUT", "/api/chats/sessions/{session_id}/ticket"): A,
    ("GET", "/api/logistics/anomalies"): A,
    ("POST", "/api/logistics/anomalies/{anomaly_id}/resolve"): A,
    ("POST", "/api/logistics/care/replies"): A,
    ("GET", "/api/logistics/care/settings/{shop_id}"): A,
    ("PUT", "/api/logistics/care/settings/{shop_id}"): S,
    ("GET", "/api/logistics/customers/{customer_id}/care"): A,
    ("GET", "/api/logistics/dead-letters"): S,
    ("POST", "/api/logistics/dead-letters/{message_id}/retry"): S,
    ("GET", "/api/logistics/intercepts"): A,
    ("GET", "/api/logistics/intercepts/stats"): A,
    ("GET", "/api/logistics/message-templates"): A,
    ("GET", "/api/logistics/message-templates/variables"): A,
    ("PUT", "/api/logistics/message-templates/{code}"): S,
    ("GET", "/api/logistics/restricted-regions"): A,
    ("POST", "/api/logistics/restricted-regions"): S,
    ("DELETE", "/api/logistics/restricted-regions/{region_id}"): S,
    ("POST", "/api/logistics/restricted-regions/import"): S,
    ("GET", "/api/logistics/rules"): A,
    ("PUT", "/api/logistics/rules"): S,
    ("POST", "/api/logistics/scan"): S,
    ("GET", "/api/me"): A,
    ("GET", "/api/orders"): A,
    ("POST", "/api/orders"): A,
    ("POST", "/api/orders/batch"): A,
    ("GET", "/api/orders/{order_id}"): A,
    ("POST", "/api/orders/{order_id}/reveal"): S,
    ("GET", "/api/qc/alerts"): A,
    ("POST", "/api/qc/alerts/{alert_id}/acknowledge"): A,
    ("POST", "/api/qc/alerts/{alert_id}/close"): A,
    ("POST", "/api/qc/alerts/{alert_id}/handle"): A,
    ("POST", "/api/qc/analyse"): A,
    ("POST", "/api/qc/findings/{finding_id}/overrule"): S,
    ("GET", "/api/qc/sessions"): A,
    ("GET", "/api/qc/sessions/{session_id}"): A,
    ("POST", "/api/qc/sessions/{session_id}/reinspect"): S,
    ("GET", "/api/qc/shops/{shop_id}/checkpoints"): A,
    ("PUT", "/api/qc/shops/{shop_id}/checkpoints/{code}"): S,
    ("PUT", "/api/qc/shops/{shop_id}/settings"): S,
    ("GET", "/api/qc/summary"): A,
    ("GET", "/api/qc/voc"): A,
    ("GET", "/api/ratings/funnel"): S,
    ("POST", "/api/ratings/invitations/chat"): A,
    ("POST", "/api/ratings/invitations/{invitation_id}/rating"): A,
    ("GET", "/api/ratings/recoveries"): A,
    ("POST", "/api/ratings/recoveries/{recovery_id}/close"): A,
    ("GET", "/api/returns/approvals"): A,
    ("POST", "/api/returns/approvals"): A,
    ("POST", "/api/returns/approvals/{approval_id}/decision"): S,
    ("GET", "/api/returns/compensations"): A,
    ("POST", "/api/returns/compensations"): A,
    ("GET", "/api/returns/policies/{shop_id}"): A,
    ("PUT", "/api/returns/policies/{shop_id}"): M,
    ("PUT", "/api/returns/photo-refund-rules/{shop_id}"): M,
    ("PUT", "/api/tickets/group-bots/{bot_id}/app"): M,
    ("GET", "/api/returns/reports/ledger"): A,
    ("GET", "/api/returns/reports/retention"): A,
    ("GET", "/api/returns/requests"): A,
    ("POST", "/api/returns/requests"): A,
    ("POST", "/api/returns/requests/batch"): A,
    ("GET", "/api/returns/requests/{request_id}"): A,
    ("POST", "/api/returns/requests/{request_id}/early-refund"): A,
    ("POST", "/api/returns/requests/{request_id}/exchange"): A,
    ("POST", "/api/returns/requests/{request_id}/refund"): A,
    ("GET", "/api/returns/requests/{request_id}/retention"): A,
    ("POST", "/api/returns/requests/{request_id}/retention/choice"): A,
    ("POST", "/api/returns/requests/{request_id}/retention/offers"): A,
    ("POST", "/api/returns/requests/{request_id}/return-parcel"): A,
    ("POST", "/api/returns/requests/{request_id}/warehouse-check"): A,
    ("GET", "/api/returns/reshipments"): A,
    ("POST", "/api/returns/reshipments"): A,
    ("GET", "/api/returns/skus/{sku_id}/replacement"): A,
    ("POST", "/api/returns/window-extensions"): A,
    ("POST", "/api/reviewers/marks"): S,
    ("GET", "/api/reviews"): A,
    ("POST", "/api/reviews"): A,
    ("POST", "/api/reviews/batch"): A,
    ("GET", "/api/reviews/voc"): A,
    ("GET", "/api/reviews/voc/board"): A,
    ("GET", "/api/reviews/{review_id}"): A,
    ("PUT", "/api/reviews/{review_id}/reply"): A,
    ("POST", "/api/reviews/{review_id}/reply/post"): A,
    ("POST", "/api/reviews/{review_id}/reply/redraft"): A,
    ("GET", "/api/routing-rules"): A,
    ("POST", "/api/routing-rules"): S,
    ("DELETE", "/api/routing-rules/{rule_id}"): S,
    ("PUT", "/api/routing-rules/{rule_id}"): S,
    ("POST", "/api/selfservice/bot/ask"): A,
    ("GET", "/api/selfservice/faq"): A,
    ("PUT", "/api/selfservice/faq/{intent}"): S,
    ("DELETE", "/api/selfservice/faq/{intent}"): S,
    ("POST", "/api/selfservice/orders/{order_id}/portal-link"): A,
    ("GET", "/api/selfservice/quick-replies"): A,
    ("POST", "/api/selfservice/quick-replies"): S,
    ("GET", "/api/selfservice/quick-replies/suggest"): A,
    ("POST", "/api/selfservice/quick-replies/{reply_id}/use"): A,
    ("GET", "/api/selfservice/requests"): A,
    ("POST", "/api/selfservice/requests/{request_id}/advance"): A,
    ("GET", "/api/shifts"): A,
    ("POST", "/api/shifts"): S,
    ("GET", "/api/shifts/roster"): A,
    ("PUT", "/api/shifts/roster/{user_id}"): S,
    ("PUT", "/api/shifts/{shift_id}"): S,
    ("DELETE", "/api/shifts/{shift_id}"): S,
    ("POST", "/api/shipments"): A,
    ("POST", "/api/shipments/batch"): A,
    ("GET", "/api/shops"): A,
    ("POST", "/api/shops"): M,
    ("GET", "/api/shops/{shop_id}/channels"): A,
    ("POST", "/api/shops/{shop_id}/channels"): M,
    ("GET", "/api/shops/{shop_id}/skus"): A,
    ("POST", "/api/shops/{shop_id}/skus"): S,
    ("PATCH", "/api/skus/{sku_id}"): S,
    ("GET", "/api/sla-policies"): A,
    ("POST", "/api/sla-policies"): S,
    ("DELETE", "/api/sla-policies/{policy_id}"): S,
    ("PUT", "/api/sla-policies/{policy_id}"): S,
    ("DELETE", "/api/ticket-bots/{bot_id}"): M,
    ("PATCH", "/api/ticket-bots/{bot_id}"): M,
    ("GET", "/api/ticket-feedback"): A,
    ("POST", "/api/ticket-feedback/{feedback_id}/acknowledge"): A,
    ("POST", "/api/ticket-feedback/{feedback_id}/answer"): A,
    ("POST", "/api/ticket-feedback/{feedback_id}/close"): A,
    ("GET", "/api/ticket-groups"): A,
    ("POST", "/api/ticket-groups"): M,
    ("PATCH", "/api/ticket-groups/{group_code}"): M,
    ("DELETE", "/api/ticket-groups/{group_code}"): M,
    ("GET", "/api/ticket-groups/{group_code}/bots"): S,
    ("POST", "/api/ticket-groups/{group_code}/bots"): M,
    ("GET", "/api/ticket-handoffs"): A,
    ("POST", "/api/ticket-handoffs/run"): S,
    ("POST", "/api/ticket-handoffs/{handoff_id}/ack"): A,
    ("GET", "/api/ticket-taxonomy"): A,
    ("POST", "/api/ticket-taxonomy"): S,
    ("PATCH", "/api/ticket-taxonomy/{node_id}"): S,
    ("DELETE", "/api/ticket-taxonomy/{node_id}"): S,
    ("GET", "/api/tickets"): A,
    ("POST", "/api/tickets"): A,
    ("GET", "/api/tickets/{ticket_id}"): A,
    ("PATCH", "/api/tickets/{ticket_id}"): A,
    ("POST", "/api/tickets/{ticket_id}/assign"): A,
    ("POST", "/api/tickets/{ticket_id}/comments"): A,
    ("POST", "/api/tickets/{ticket_id}/feedback"): A,
    ("POST", "/api/tickets/{ticket_id}/follow-up"): A,
    ("GET", "/api/tickets/{ticket_id}/history"): A,
    ("POST", "/api/tickets/{ticket_id}/rating"): A,
    ("POST", "/api/tickets/{ticket_id}/transitions"): A,
    ("POST", "/api/tracking-events"): A,
    ("POST", "/api/tracking-events/batch"): A,
    ("GET", "/api/users"): M,
    ("POST", "/api/users"): M,
    ("GET", "/console/"): A,
    ("GET", "/console/analytics/associations"): A,
    ("GET", "/console/analytics/drill/{kind}"): A,
    ("GET", "/console/analytics/forecast"): A,
    ("GET", "/console/analytics/funnel"): A,
    ("GET", "/console/analytics/report"): S,
    ("GET", "/console/analytics/report.pdf"): S,
    ("GET", "/console/analytics/report.xlsx"): S,
    ("GET", "/console/analytics/scorecards"): A,
    ("GET", "/console/analytics/trends"): A,
    ("GET", "/console/logistics"): A,
    ("GET", "/console/logistics-messages"): A,
    ("POST", "/console/logistics-messages/dead/{message_id}/retry"): S,
    ("POST", "/console/logistics-messages/templates"): S,
    ("POST", "/console/logistics/anomalies/{anomaly_id}/resolve"): A,
    ("GET", "/console/logistics/intercepts"): A,
    ("GET", "/console/logistics/panels/order/{order_id}/care"): A,
    ("GET", "/console/logistics/panels/order/{order_id}/region"): A,
    ("GET", "/console/logistics/regions"): A,
    ("POST", "/console/logistics/regions"): S,
    ("POST", "/console/logistics/regions/{region_id}/delete"): S,
    ("POST", "/console/logistics/regions/import"): S,
    ("GET", "/console/logistics/care"): A,
    ("POST", "/console/logistics/care/{shop_id}"): S,
    ("POST", "/console/logistics/rules"): S,
    ("POST", "/console/logistics/scan"): S,
    ("POST", "/console/logout"): A,
    ("GET", "/console/orders"): A,
    ("GET", "/console/orders/{order_id}"): A,
    ("GET", "/console/qc/alerts"): A,
    ("POST", "/console/qc/alerts/{alert_id}/{action}"): A,
    ("GET", "/console/qc/dashboard"): S,
    ("POST", "/console/qc/findings/{finding_id}/overrule"): S,
    ("GET", "/console/qc/sessions"): A,
    ("GET", "/console/qc/sessions/{session_id}"): A,
    ("GET", "/console/qc/settings"): S,
    ("POST", "/console/qc/settings/{shop_id}"): S,
    ("POST", "/console/qc/settings/{shop_id}/checkpoints/{code}"): S,
    ("GET", "/console/returns"): A,
    ("POST", "/console/returns"): A,
    ("GET", "/console/returns/approvals"): S,
    ("POST", "/console/returns/approvals/{approval_id}"): S,
    ("GET", "/console/returns/ledger"): A,
    ("GET", "/console/returns/policies"): M,
    ("POST", "/console/returns/policies/{shop_id}"): M,
    ("GET", "/console/returns/reshipments"): A,
    ("POST", "/console/returns/reshipments"): A,
    ("GET", "/console/returns/reshipments/new"): A,
    ("GET", "/console/returns/{return_id}"): A,
    ("POST", "/console/returns/{return_id}/approval"): A,
    ("POST", "/console/returns/{return_id}/choice"): A,
    ("POST", "/console/returns/{return_id}/compensate"): A,
    ("POST", "/console/returns/{return_id}/early-refund"): A,
    ("POST", "/console/returns/{return_id}/exchange"): A,
    ("POST", "/console/returns/{return_id}/extend"): A,
    ("POST", "/console/returns/{return_id}/offers"): A,
    ("POST", "/console/returns/{return_id}/parcel"): A,
    ("POST", "/console/returns/{return_id}/refund"): A,
    ("POST", "/console/returns/{return_id}/reship"): A,
    ("POST", "/console/returns/{return_id}/warehouse"): A,
    ("GET", "/console/reviews"): A,
    ("GET", "/console/reviews/funnel"): S,
    ("POST", "/console/reviews/recoveries/{recovery_id}"): A,
    ("GET", "/console/reviews/voc"): A,
    ("GET", "/console/reviews/{review_id}"): A,
    ("POST", "/console/reviews/{review_id}/redraft"): A,
    ("POST", "/console/reviews/{review_id}/reply"): A,
    ("GET", "/console/selfservice/faq"): S,
    ("POST", "/console/selfservice/faq/{intent}"): S,
    ("POST", "/console/selfservice/faq/{intent}/reset"): S,
    ("GET", "/console/selfservice/panels/chat/{session_id}"): A,
    ("GET", "/console/selfservice/panels/ticket/{ticket_id}"): A,
    ("GET", "/console/selfservice/quick-replies"): A,
    ("POST", "/console/selfservice/quick-replies/{reply_id}/use"): A,
    ("GET", "/console/selfservice/requests"): A,
    ("POST", "/console/selfservice/requests/{request_id}/advance"): A,
    ("GET", "/console/selfservice/uploads/{upload_id}"): A,
    ("GET", "/console/tickets"): A,
    ("GET", "/console/tickets/feedback"): A,
    ("POST", "/console/tickets/feedback/{feedback_id}/acknowledge"): A,
    ("POST", "/console/tickets/feedback/{feedback_id}/answer"): A,
    ("POST", "/console/tickets/feedback/{feedback_id}/close"): A,
    ("GET", "/console/tickets/handoffs"): A,
    ("POST", "/console/tickets/handoffs/run"): S,
    ("POST", "/console/tickets/handoffs/{handoff_id}/ack"): A,
    ("GET", "/console/tickets/new"): A,
    ("POST", "/console/tickets/new"): A,
    ("GET", "/console/tickets/{ticket_id}"): A,
    ("POST", "/console/tickets/{ticket_id}/assign"): A,
    ("POST", "/console/tickets/{ticket_id}/comment"): A,
    ("POST", "/console/tickets/{ticket_id}/feedback"): A,
    ("POST", "/console/tickets/{ticket_id}/follow-up"): A,
    ("POST", "/console/tickets/{ticket_id}/transition"): A,
}

APP = create_app()
ROUTES = discover(APP)
PRIVATE = [r for r in ROUTES if not r.is_public and not r.signed_webhook]
SIGNED = [r for r in ROUTES if r.signed_webhook]
LOWER = {S: A, M: S}


def expected_role(route: RouteInfo) -> Role | None:
    return MIN_ROLE.get((route.method, route.path), route.declared_role)


def call(client: TestClient, route: RouteInfo, headers: dict[str, str] | None = None) -> int:
    response = client.request(route.method, route.url, headers=headers or {}, follow_redirects=False)
    return response.status_code


@pytest.fixture
def lenient_client(session_factory: sessionmaker[Session]) -> Iterator[TestClient]:
    """One app for the module (building it per test dominates the run time), bound to this test's
    rolled-back transaction. Handlers run with made-up ids and empty bodies; only the auth
    outcome matters here, so server errors come back as responses instead of raising."""

    def request_session() -> Iterator[Session]:
        session = session_factory()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    APP.dependency_overrides[get_session] = request_session
    yield TestClient(APP, raise_server_exceptions=False)
    APP.dependency_overrides.clear()


@pytest.fixture
def auth_headers(session: Session) -> Headers:
    """Like the suite's fixture, without Argon2-hashing a password per user: these users only
    ever authenticate by token, and a thousand hashes would dominate the run."""
    serial = itertools.count(1)

    def headers(role: Role = Role.AGENT) -> dict[str, str]:
        user = User(
            username=f"route-{role.value}-{next(serial)}",
            display_name="路由测试",
            role=role,
            password_hash="!unusable",
        )
        session.add(user)
        session.flush()
        return {"Authorization": f"Bearer {issue_token(session, user=user)}"}

    return headers


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
