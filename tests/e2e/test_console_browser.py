from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import utcnow
from aftersales.logistics import regions
from aftersales.orders.models import OrderStatus
from tests.builders import make_event, make_order, make_region, make_shipment, make_user
from tests.builders.auth import PASSWORD
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


def seed_agent_and_parcel(session: Session) -> dict[str, Any]:
    user = make_user(session, role=Role.AGENT)
    shipment = make_shipment(session, tracking_no="YT8899001122334")
    make_event(session, shipment=shipment, raw_text="【乌鲁木齐市天山区】已签收,签收人:本人")
    return {"username": user.username, "order_id": shipment.order_id, "order_no": shipment.order_id}


def test_agent_logs_in_finds_an_order_by_tracking_number_and_opens_its_detail(
    live_server: LiveServer, browser_page: Any
) -> None:
    seeded = live_server.seed(seed_agent_and_parcel)
    page = browser_page
    page.goto(f"{live_server.url}/console/orders")
    page.get_by_label("用户名").fill(seeded["username"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("订单号 / 运单号 / 手机号 / 买家账号").fill("YT8899001122334")
    page.get_by_role("button", name="查询").click()
    # The unfiltered list already links the order: wait for the search's own page, or the click
    # lands on the old page and the search's navigation replaces the detail.
    page.wait_for_url("**q=YT8899001122334**")
    page.locator(f"a[href='/console/orders/{seeded['order_id']}']").click()
    parcel = page.get_by_test_id("parcel")
    assert "YT8899001122334" in parcel.inner_text()
    assert "已签收,签收人:本人" in parcel.inner_text()
    assert page.get_by_test_id("receiver-phone").inner_text() == "138****5678"


def seed_agent_and_held_order(session: Session) -> dict[str, Any]:
    user = make_user(session, role=Role.AGENT)
    order = make_order(session, province="西藏自治区", status=OrderStatus.PAID)
    make_region(session, province="西藏自治区", valid_from=utcnow() - timedelta(hours=1), reason="大雪封路")
    regions.flag_orders(session, now=utcnow())
    return {"username": user.username, "order_id": order.id}


def test_order_page_loads_the_panels_lower_domains_registered(
    live_server: LiveServer, browser_page: Any
) -> None:
    """The placeholder cards load over htmx: logistics' region card replaces its placeholder, and
    the care-record card (the buyer has no record) removes itself."""
    from playwright.sync_api import expect

    seeded = live_server.seed(seed_agent_and_held_order)
    page = browser_page
    page.goto(f"{live_server.url}/console/orders/{seeded['order_id']}")
    page.get_by_label("用户名").fill(seeded["username"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    region = page.locator('[data-panel="停发地区"]')
    expect(region.get_by_test_id("region-holds")).to_contain_text("大雪封路")
    expect(region).to_have_attribute("data-tone", "warn")
    expect(page.locator('[data-panel="签收回访记录"]')).to_have_count(0)
    expect(page.get_by_text("加载中…")).to_have_count(0)
