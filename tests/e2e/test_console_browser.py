from typing import Any

import pytest
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from tests.builders import make_event, make_shipment, make_user
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
    page.locator(f"a[href='/console/orders/{seeded['order_id']}']").click()
    parcel = page.get_by_test_id("parcel")
    assert "YT8899001122334" in parcel.inner_text()
    assert "已签收,签收人:本人" in parcel.inner_text()
    assert page.get_by_test_id("receiver-phone").inner_text() == "138****5678"
