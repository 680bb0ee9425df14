"""开具 and 重开 in a real browser: the agent issues a buyer's invoice registration from the requests
list, then corrects the title, and the list shows the new number beside the voided one."""

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from tests.builders import make_order, make_user
from tests.builders.selfservice import make_invoice_registration
from tests.e2e.conftest import LiveServer, browser_page, live_server  # noqa: F401  (fixtures)
from tests.returns.test_browser import login

pytestmark = pytest.mark.browser


def seed(session: Session) -> dict[str, Any]:
    request = make_invoice_registration(session, order=make_order(session))
    agent = make_user(session, role=Role.AGENT, display_name="财务小陈")
    return {"request_id": request.id, "agent": agent.username}


def test_agent_issues_then_reissues_an_invoice(
    live_server: LiveServer,  # noqa: F811
    browser_page: Any,  # noqa: F811
) -> None:
    seeded = live_server.seed(seed)
    page = browser_page
    login(page, live_server.url, seeded["agent"], "/console/selfservice/requests")
    cell = page.get_by_test_id(f"invoice-{seeded['request_id']}")
    expect(cell).to_contain_text("未开具")
    cell.get_by_role("button", name="开具").click()
    cell = page.get_by_test_id(f"invoice-{seeded['request_id']}")
    expect(cell).to_contain_text("已开具")
    first_number = cell.get_by_role("link").inner_text().split()[-1]
    cell.get_by_text("重开", exact=True).click()
    cell.get_by_label("抬头", exact=True).fill("杭州某某贸易有限公司")
    cell.get_by_role("button", name="红冲并重开").click()
    cell = page.get_by_test_id(f"invoice-{seeded['request_id']}")
    expect(cell).to_contain_text(f"已红冲 {first_number}")
    expect(cell.get_by_role("link")).to_contain_text("已开具")
    expect(cell.get_by_role("link")).not_to_contain_text(first_number)
