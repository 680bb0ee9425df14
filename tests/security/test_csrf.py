"""Cross-site request forgery: a page on another port of the same host (same site, so SameSite=Lax
lets the cookie through) must not be able to act as a logged-in agent or customer.

These tests use a bare client, as an attacker's page would be: no helper adds the origin or token.
"""

import re
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.deps import SESSION_COOKIE
from aftersales.auth.service import issue_token
from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.orders.models import OrderStatus
from aftersales.selfservice import access
from aftersales.selfservice.models import PortalRequest
from aftersales.tickets.models import Ticket, TimelineEntry
from aftersales.web import csrf
from tests.builders import make_order, make_ticket, make_user

SERVER = "http://testserver"
EVIL = "http://testserver:8081"  # same host, another port: same site for the browser


@pytest.fixture
def browser(app: FastAPI) -> TestClient:
    return TestClient(app)


@pytest.fixture
def agent_cookie(session: Session, browser: TestClient) -> str:
    raw = issue_token(session, user=make_user(session), name="console")
    session.flush()
    browser.cookies.set(SESSION_COOKIE, raw)
    return raw


@pytest.fixture
def ticket(session: Session) -> Ticket:
    return make_ticket(session)


def comments(session: Session, ticket: Ticket) -> list[str]:
    session.expire_all()
    query = select(TimelineEntry.message).where(
        TimelineEntry.ticket_id == ticket.id, TimelineEntry.kind == "comment"
    )
    return list(session.scalars(query))


def post_comment(browser: TestClient, ticket: Ticket, headers: dict[str, str], **fields: str):  # type: ignore[no-untyped-def]
    data = {"text": "攻击者的评论", **fields}
    return browser.post(
        f"/console/tickets/{ticket.id}/comment", data=data, headers=headers, follow_redirects=False
    )


class TestConsole:
    def test_a_form_posted_from_another_port_is_refused_and_nothing_is_stored(
        self, session: Session, browser: TestClient, agent_cookie: str, ticket: Ticket
    ) -> None:
        token = csrf.token_for(agent_cookie)  # even a leaked token does not help from a foreign origin
        response = post_comment(browser, ticket, {"Origin": EVIL}, csrf_token=token)
        assert response.status_code == 403
        assert comments(session, ticket) == []

    def test_a_same_origin_post_without_the_token_is_refused(
        self, session: Session, browser: TestClient, agent_cookie: str, ticket: Ticket
    ) -> None:
        response = post_comment(browser, ticket, {"Origin": SERVER})
        assert response.status_code == 403
        assert "刷新页面" in response.text
        assert comments(session, ticket) == []

    def test_a_token_of_another_session_is_refused(
        self, session: Session, browser: TestClient, agent_cookie: str, ticket: Ticket
    ) -> None:
        response = post_comment(
            browser, ticket, {"Origin": SERVER}, csrf_token=csrf.token_for("other-session")
        )
        assert response.status_code == 403

    def test_a_post_with_neither_origin_nor_referer_is_refused(
        self, session: Session, browser: TestClient, agent_cookie: str, ticket: Ticket
    ) -> None:
        response = post_comment(browser, ticket, {}, csrf_token=csrf.token_for(agent_cookie))
        assert response.status_code == 403

    def test_the_form_field_from_the_same_origin_is_accepted(
        self, session: Session, browser: TestClient, agent_cookie: str, ticket: Ticket
    ) -> None:
        response = post_comment(browser, ticket, {"Origin": SERVER}, csrf_token=csrf.token_for(agent_cookie))
        assert response.status_code == 303
        assert comments(session, ticket) == ["攻击者的评论"]

    def test_the_htmx_header_with_a_same_origin_referer_is_accepted(
        self, session: Session, browser: TestClient, agent_cookie: str, ticket: Ticket
    ) -> None:
        headers = {
            "Referer": f"{SERVER}/console/tickets/{ticket.id}",
            csrf.HEADER: csrf.token_for(agent_cookie),
        }
        assert post_comment(browser, ticket, headers).status_code == 303

    def test_the_api_with_the_cookie_needs_the_token_too(
        self, browser: TestClient, agent_cookie: str, ticket: Ticket
    ) -> None:
        response = browser.post(
            f"/api/tickets/{ticket.id}/comments", json={"text": "x"}, headers={"Origin": SERVER}
        )
        assert response.status_code == 403
        assert response.json()["error"] == "CsrfError"

    def test_bearer_token_calls_need_neither_origin_nor_token(
        self, session: Session, browser: TestClient, ticket: Ticket
    ) -> None:
        raw = issue_token(session, user=make_user(session))
        session.flush()
        response = browser.post(
            f"/console/tickets/{ticket.id}/comment",
            data={"text": "经 API 令牌"},
            headers={"Authorization": f"Bearer {raw}"},
            follow_redirects=False,
        )
        assert response.status_code == 303

    def test_a_log_in_posted_from_another_site_is_refused(
        self, session: Session, browser: TestClient
    ) -> None:
        make_user(session, username="victim-login")
        data = {"username": "victim-login", "password": "secret-pass"}
        response = browser.post("/console/login", data=data, headers={"Origin": EVIL}, follow_redirects=False)
        assert response.status_code == 403
        assert SESSION_COOKIE not in response.cookies

    def test_every_post_form_and_the_layout_carry_the_session_token(
        self, browser: TestClient, agent_cookie: str, ticket: Ticket
    ) -> None:
        page = browser.get(f"/console/tickets/{ticket.id}").text
        token = csrf.token_for(agent_cookie)
        forms = re.findall(r"<form\b[^>]*method=\"post\"[^>]*>(.{0,120})", page)
        assert forms
        assert all(f'name="csrf_token" value="{token}"' in after for after in forms)
        assert f'hx-headers=\'{{"X-CSRF-Token": "{token}"}}\'' in page


class TestPortal:
    def test_a_portal_request_posted_from_another_port_is_refused(
        self, session: Session, browser: TestClient
    ) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        cookie = access.issue_session(order.id)
        browser.cookies.set(access.SESSION_COOKIE, cookie, path="/portal")
        ship_after = (utcnow().astimezone(SHANGHAI) + timedelta(days=5)).date().isoformat()
        data = {"ship_after": ship_after, csrf.FIELD: csrf.token_for(cookie)}
        response = browser.post(
            "/portal/apply/delay", data=data, headers={"Origin": EVIL}, follow_redirects=False
        )
        assert response.status_code == 403
        assert session.scalars(select(PortalRequest).where(PortalRequest.order_id == order.id)).all() == []

    def test_the_portal_form_with_its_token_is_accepted(self, session: Session, browser: TestClient) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        cookie = access.issue_session(order.id)
        browser.cookies.set(access.SESSION_COOKIE, cookie, path="/portal")
        page = browser.get("/portal/apply/delay").text
        token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page)
        assert token is not None
        ship_after = (utcnow().astimezone(SHANGHAI) + timedelta(days=5)).date().isoformat()
        data = {"ship_after": ship_after, csrf.FIELD: token.group(1)}
        response = browser.post(
            "/portal/apply/delay", data=data, headers={"Origin": SERVER}, follow_redirects=False
        )
        assert response.status_code == 303
