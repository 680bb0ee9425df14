"""Tickets in a real browser: create from an order → assign → reply → resolve, and the handoff
at a shift's end seen by the next shift as "交给我的"."""

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import utcnow
from aftersales.tickets import service
from aftersales.tickets.jobs import shift_handoff
from aftersales.tickets.models import Shift
from aftersales.tickets.shifts import handoff as handoffs
from aftersales.tickets.shifts import service as shifts
from tests.builders import make_order, make_user
from tests.builders.auth import PASSWORD
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


def login(page: Any, base: str, username: str, target: str) -> None:
    """Log in through the form and wait until the target page is really shown.

    The request session commits after the response is sent (FastAPI's default dependency
    scope, see the report): a browser that follows the redirect at once can arrive before the
    new token is committed and land on the login page again, so we retry that step.
    """
    for _ in range(3):
        page.goto(f"{base}{target}")
        if "/console/login" not in page.url:
            return
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        if "/console/login" not in page.url:
            return
    raise AssertionError("login did not stick")


def shows(page: Any, locator: Any, text: str) -> None:
    """The page shows ``text`` (reloading once: the redirect may outrun the commit, see login)."""
    try:
        expect(locator).to_contain_text(text, timeout=4000)
    except AssertionError:
        page.reload()
        expect(locator).to_contain_text(text)


def seed_order_and_agents(session: Session) -> dict[str, Any]:
    order = make_order(session)
    agent = make_user(session, role=Role.AGENT, display_name="早班小王")
    colleague = make_user(session, role=Role.AGENT, display_name="中班小李")
    return {
        "order_id": order.id,
        "order_no": order.source_id,
        "agent": agent.username,
        "colleague": colleague.display_name,
    }


def test_agent_creates_from_an_order_assigns_replies_and_resolves(
    live_server: LiveServer, browser_page: Any
) -> None:
    seeded = live_server.seed(seed_order_and_agents)
    page = browser_page
    login(page, live_server.url, seeded["agent"], "/console/tickets")
    page.get_by_test_id("new-ticket").click()
    page.get_by_label("订单号").fill(seeded["order_no"])
    page.get_by_label("订单号").press("Enter")
    page.get_by_role("button", name="退货·质量问题").click()
    shows(page, page.get_by_test_id("ticket-status"), "新建")
    page.get_by_test_id("assignee-select").select_option(label=seeded["colleague"])
    page.get_by_test_id("assign-submit").click()
    shows(page, page.get_by_test_id("ticket-assignee"), seeded["colleague"])
    page.get_by_test_id("comment-text").fill("亲,已为您登记破损,今天安排补发")
    page.get_by_test_id("comment-submit").click()
    shows(page, page.get_by_test_id("ticket-status"), "处理中")
    page.locator("button[data-to='resolved']").click()
    shows(page, page.get_by_test_id("ticket-status"), "已解决")
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "已为您登记破损,今天安排补发" in timeline
    assert "处理中 → 已解决" in timeline


def test_ticket_is_created_from_the_order_page_in_two_clicks(
    live_server: LiveServer, browser_page: Any
) -> None:
    seeded = live_server.seed(seed_order_and_agents)
    page = browser_page
    login(page, live_server.url, seeded["agent"], f"/console/orders/{seeded['order_id']}")
    page.get_by_test_id("new-ticket").click()
    page.get_by_role("button", name="退货·质量问题").click()
    shows(page, page.get_by_test_id("ticket-status"), "新建")
    expect(page.locator("h1")).to_contain_text(seeded["order_no"])


def seed_shift_work(session: Session) -> dict[str, Any]:
    by_code = {s.code: s.id for s in session.scalars(select(Shift))}
    early = make_user(session, role=Role.AGENT, display_name="早班小王")
    late = make_user(session, role=Role.AGENT, display_name="晚班小陈")
    lead = make_user(session, role=Role.SUPERVISOR, display_name="主管")
    shifts.set_roster(session, user_id=early.id, shift_id=by_code["morning"])
    shifts.set_roster(session, user_id=late.id, shift_id=by_code["evening"])
    order = make_order(session)
    ticket = service.create_ticket(
        session,
        order_id=order.id,
        type="exchange",
        category="商品问题",
        subcategory="描述不符",
        title="尺码不符待换货",
        assignee_id=early.id,
    )
    ticket.shift_id = by_code["morning"]
    service.add_comment(
        session, ticket_id=ticket.id, actor_id=early.id, text="仓库明早确认库存", internal=True
    )
    return {
        "lead": lead.username,
        "late": late.username,
        "ticket_id": ticket.id,
        "morning": by_code["morning"],
    }


def run_shift_end_job(session: Session, shift_id: int) -> None:
    """The periodic job, run for the instant the morning shift last ended (as the worker would)."""
    ended = handoffs.last_end(session.get_one(Shift, shift_id), utcnow()).ends_at
    shift_handoff(session, now=ended.isoformat())


def test_shift_end_job_hands_tickets_to_the_next_shift_who_sees_them_first(
    live_server: LiveServer, browser_page: Any
) -> None:
    seeded = live_server.seed(seed_shift_work)
    live_server.seed(lambda session: run_shift_end_job(session, seeded["morning"]))
    page = browser_page
    login(page, live_server.url, seeded["late"], "/console/tickets")
    handed = page.get_by_test_id("handed-to-me")
    shows(page, handed, "尺码不符待换货")
    expect(handed).to_contain_text("仓库明早确认库存")
    queue_row = page.locator(f"tr[data-ticket='{seeded['ticket_id']}']")
    assert handed.bounding_box()["y"] < queue_row.bounding_box()["y"]


def test_shift_end_hands_unresolved_tickets_to_the_next_shift(
    live_server: LiveServer, browser_page: Any
) -> None:
    seeded = live_server.seed(seed_shift_work)
    page = browser_page
    login(page, live_server.url, seeded["lead"], "/console/tickets/handoffs")
    page.locator("button[data-shift='morning']").click()
    shows(page, page.get_by_test_id("handoff-board"), "尺码不符待换货")
    expect(page.get_by_test_id("handoff-board")).to_contain_text("晚班小陈")
    page.get_by_role("button", name="退出").click()
    login(page, live_server.url, seeded["late"], "/console/tickets")
    handed = page.get_by_test_id("handed-to-me")
    shows(page, handed, "尺码不符待换货")
    expect(handed).to_contain_text("仓库明早确认库存")
    handed.get_by_role("button", name="已接手").click()
    page.wait_for_load_state()
    if page.get_by_test_id("handed-to-me").count():
        page.reload()
    expect(page.get_by_test_id("handed-to-me")).to_have_count(0)
    expect(page.locator(f"tr[data-ticket='{seeded['ticket_id']}']")).to_have_count(1)


def test_choosing_a_category_narrows_the_subcategories(live_server: LiveServer, browser_page: Any) -> None:
    seeded = live_server.seed(seed_order_and_agents)
    page = browser_page
    login(page, live_server.url, seeded["agent"], "/console/tickets/new")
    page.get_by_label("一级分类").select_option("物流问题")
    expect(page.locator("#subcategory option", has_text="丢件")).to_have_count(1)
    expect(page.locator("#subcategory option", has_text="质量问题")).to_have_count(0)
