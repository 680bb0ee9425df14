"""Compensation beyond authority in a real browser: the agent is refused and offered an approval,
the supervisor approves it from the inbox, and the payout lands in the ledger."""

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from tests.builders import make_order, make_return_request, make_user
from tests.builders.auth import PASSWORD
from tests.e2e.conftest import LiveServer, browser_page, live_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def login(page: Any, base: str, username: str, target: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}{target}")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def seed(session: Session) -> dict[str, Any]:
    request = make_return_request(session, order=make_order(session, paid_fen=10_000), reason_code="not_fit")
    agent = make_user(session, role=Role.AGENT, display_name="早班小王")
    lead = make_user(session, role=Role.SUPERVISOR, display_name="主管周敏")
    return {"request_id": request.id, "agent": agent.username, "lead": lead.username}


def test_agent_over_authority_gets_an_approval_the_supervisor_grants(
    live_server: LiveServer,  # noqa: F811
    browser_page: Any,  # noqa: F811
) -> None:
    seeded = seed_and_open(live_server, browser_page)
    page = browser_page
    page.locator("form[action$='/compensate'] input[name=amount]").fill("60")
    page.locator("form[action$='/compensate'] button").click()
    expect(page.get_by_test_id("authority-error")).to_contain_text("超出客服补偿权限")
    offer = page.get_by_test_id("approval-offer")
    expect(offer.locator("input[name=amount]")).to_have_value("60")
    offer.locator("input[name=note]").fill("客户坚持退货,补偿留用")
    offer.locator("button").click()
    expect(page.get_by_test_id("awaiting-approval")).to_have_text("待主管审批")
    expect(page.get_by_test_id("approvals")).to_contain_text("补偿 ¥60.00 · 客户坚持退货,补偿留用")
    login(page, live_server.url, seeded["lead"], "/console/returns/approvals")
    inbox = page.get_by_test_id("approval-inbox")
    expect(inbox).to_contain_text("客户坚持退货,补偿留用")
    inbox.get_by_role("button", name="同意并打款").click()
    page.goto(f"{live_server.url}/console/returns/{seeded['request_id']}")
    expect(page.get_by_test_id("approvals")).to_contain_text("主管已同意")
    expect(page.get_by_test_id("awaiting-approval")).to_have_count(0)
    page.goto(f"{live_server.url}/console/returns/ledger")
    expect(page.get_by_test_id("ledger-total")).to_have_text("合计 ¥60.00")


def seed_and_open(server: LiveServer, page: Any) -> dict[str, Any]:
    seeded = server.seed(seed)
    login(page, server.url, seeded["agent"], f"/console/returns/{seeded['request_id']}")
    expect(page.get_by_test_id("retention-panel")).to_be_visible()
    return seeded
