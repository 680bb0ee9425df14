"""An agent on a phone (390 × 844): the queue and a ticket fit the screen's width; wide tables
scroll inside their card, not the page."""

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from tests.builders import make_order, make_shipment, make_ticket, make_user
from tests.builders.auth import PASSWORD
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


def seed(session: Session) -> dict[str, Any]:
    agent = make_user(session, role=Role.AGENT)
    order = make_order(session)
    make_shipment(session, order=order)
    ticket = make_ticket(session, order=order, title="收到商品破损,要求换货")
    ticket.assignee_id = agent.id
    return {"agent": agent.username, "ticket": ticket.id}


def page_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_queue_and_ticket_fit_a_phone(live_server: LiveServer, browser_page: Any) -> None:
    seeded = live_server.seed(seed)
    page = browser_page
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/console/tickets")
    page.get_by_label("用户名").fill(seeded["agent"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(f"a[href='/console/tickets/{seeded['ticket']}']").first).to_be_visible()
    assert page_width(page) <= 390
    page.goto(f"{live_server.url}/console/tickets/{seeded['ticket']}")
    expect(page.get_by_test_id("timeline")).to_be_visible()
    assert page_width(page) <= 390
    reply = page.get_by_test_id("comment-text").bounding_box()
    assert reply is not None
    assert reply["x"] + reply["width"] <= 390
