"""The seed-000 appeal in a real browser: from the ticket page the agent starts an appeal of the
platform's ruling, picks the buyer's photo and a chat excerpt as evidence, submits it, and records
that the platform withdrew the ruling after the buyer paid the difference and left a good review."""

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from tests.builders import make_order, make_ticket, make_user
from tests.builders.tickets import make_photo
from tests.e2e.conftest import LiveServer, browser_page, live_server  # noqa: F401  (fixtures)
from tests.returns.test_browser import login

pytestmark = pytest.mark.browser


def seed(session: Session) -> dict[str, Any]:
    order = make_order(session)
    ticket = make_ticket(session, order=order, title="买家直接申请质量问题,平台已判责")
    make_photo(session, ticket=ticket, original_name="出厂报告.png")
    agent = make_user(session, role=Role.AGENT, display_name="售后小李")
    return {"ticket_id": ticket.id, "agent": agent.username}


def test_appeal_from_the_ticket_to_the_outcome(
    live_server: LiveServer,  # noqa: F811
    browser_page: Any,  # noqa: F811
) -> None:
    seeded = live_server.seed(seed)
    page = browser_page
    login(page, live_server.url, seeded["agent"], f"/console/tickets/{seeded['ticket_id']}")
    form = page.get_by_test_id("appeal-form")
    form.locator("textarea[name=ruling]").fill("平台判定质量问题,卖家责任")
    form.locator("input[name=deadline_at]").fill("2099-01-01T10:00")
    form.get_by_role("button", name="发起申诉").click()
    evidence = page.get_by_test_id("evidence-form")
    evidence.get_by_label("出厂报告.png").check()
    evidence.locator("textarea[name=chat]").fill("买家:我只想要对应生产日期的出厂报告")
    evidence.locator("textarea[name=statement]").fill("买家诉求为出厂报告,已提供,买家已补款并好评")
    evidence.get_by_role("button", name="保存证据").click()
    expect(page.get_by_test_id("appeal-evidence")).to_contain_text("出厂报告.png")
    page.get_by_test_id("submit-appeal").click()
    expect(page.get_by_test_id("appeal-status")).to_have_text("已提交")
    outcome = page.get_by_test_id("outcome-form")
    outcome.locator("input[name=note]").fill("平台撤销判责")
    outcome.locator("input[name=topup]").fill("50")
    outcome.get_by_label("买家已好评").check()
    outcome.get_by_role("button", name="保存结果").click()
    expect(page.get_by_test_id("appeal-outcome")).to_contain_text("买家补款 ¥50.00 · 买家已好评")
    page.goto(f"{live_server.url}/console/returns/appeals")
    expect(page.get_by_test_id("appeals")).to_contain_text("申诉成功")
