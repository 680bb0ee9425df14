"""跟单催付 in headless Chromium: an agent sends the reminder from the list."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import utcnow
from aftersales.orders.models import OrderStatus
from tests.builders import make_order, make_order_item, make_user
from tests.e2e.conftest import LiveServer
from tests.e2e.test_coaching_browser import log_in

pytestmark = pytest.mark.browser


def seed_unpaid_order(session: Session) -> tuple[str, str]:
    at = utcnow() - timedelta(hours=1)
    order = make_order(session, status=OrderStatus.PENDING_PAYMENT, ordered_at=at, paid_at=None)
    make_order_item(session, order=order, sku_code="HT-1")
    return make_user(session, role=Role.AGENT).username, order.source_id


def test_agent_sends_the_payment_reminder(live_server: LiveServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    username, order_no = live_server.seed(seed_unpaid_order)
    page = browser_page
    log_in(page, f"{live_server.url}/console/follow-ups", username)
    expect(page.get_by_test_id("follow-up-definition")).to_contain_text("跟单挽回转化率")
    page.get_by_test_id(f"due-{order_no}").get_by_role("button", name="发送催付").click()
    expect(page.get_by_test_id("due-orders")).not_to_contain_text(order_no)
    followed = page.get_by_test_id(f"done-{order_no}")
    expect(followed).to_contain_text("催付消息")
    expect(followed).to_contain_text("待付款")
    expect(page.get_by_test_id("follow-up-figures")).to_contain_text("1")
