"""Group collaboration in a real browser: the agent edits a ticket's card (adding a photo) before
it goes to the warehouse group; the supervisor files a reply no rule matched from the inbox."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.messaging.callbacks import Inbound
from aftersales.messaging.models import OutboxMessage
from aftersales.tickets import collab_replies
from tests.builders import make_order, make_shipment, make_user
from tests.builders.tickets import PNG, make_bot, make_bot_app, make_ticket
from tests.e2e.conftest import LiveServer
from tests.e2e.test_tickets_browser import login, shows

pytestmark = pytest.mark.browser


def seed_ticket(session: Session) -> dict[str, Any]:
    order = make_order(session)
    make_shipment(session, order=order, courier="zto", tracking_no="73599988877766")
    ticket = make_ticket(session, order=order, detail="破损", title="保温杯外箱压坏")
    bot = make_bot(session, group_code="warehouse", channel="dingtalk", url="http://127.0.0.1:9/robot/send")
    make_bot_app(session, bot=bot, role="warehouse", app_secret="s")
    agent = make_user(session, role=Role.AGENT)
    return {"ticket_id": ticket.id, "agent": agent.username}


def test_agent_edits_the_card_adds_a_photo_and_sends_it(
    live_server: LiveServer, browser_page: Any, tmp_path: Path
) -> None:
    seeded = live_server.seed(seed_ticket)
    page, ticket_url = browser_page, f"/console/tickets/{seeded['ticket_id']}"
    login(page, live_server.url, seeded["agent"], ticket_url)
    panel = page.locator('[data-panel="群协作"]')
    photo = tmp_path / "破损.png"
    photo.write_bytes(PNG)
    panel.get_by_label("添加照片").set_input_files(str(photo))
    panel.get_by_role("button", name="上传").click()
    page.wait_for_load_state()
    shows(page, page.locator('[data-panel="群协作"]'), "客服上传")
    form = page.locator('[data-testid="card-form"]')
    expect(form.get_by_label("快递单号")).to_have_value("73599988877766")
    form.get_by_label("请协助").fill("外箱压坏,请仓库核实库存并今天补发")
    form.get_by_role("button", name="发送到群").click()
    page.wait_for_load_state()
    shows(page, page.locator('[data-testid="group-thread"]'), "外箱压坏,请仓库核实库存并今天补发")
    page.screenshot(path=str(tmp_path / "group-card.png"), full_page=True)

    def sent(session: Session) -> list[dict[str, Any]]:
        return [
            m.payload
            for m in session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "dingtalk"))
        ]

    card = live_server.seed(sent)[-1]["actionCard"]
    assert "**请协助**:外箱压坏,请仓库核实库存并今天补发" in card["text"]
    assert "/api/tickets/group-photos/" in card["text"]


def seed_unmatched_reply(session: Session) -> dict[str, Any]:
    seeded = seed_ticket(session)
    bot = make_bot(session, group_code="logistics", channel="feishu")
    app = make_bot_app(session, bot=bot, role="courier", token="t")
    collab_replies.receive(
        session, bot=bot, app=app, message=Inbound("feishu", "om_x", "ou_courier", "这票在网点滞留,已催")
    )
    supervisor = make_user(session, role=Role.SUPERVISOR)
    return {**seeded, "supervisor": supervisor.username}


def test_supervisor_files_an_unmatched_reply_from_the_inbox(
    live_server: LiveServer, browser_page: Any
) -> None:
    seeded = live_server.seed(seed_unmatched_reply)
    page = browser_page
    login(page, live_server.url, seeded["supervisor"], "/console/returns/groups/inbox")
    rows = page.locator('[data-testid="unmatched-replies"]')
    expect(rows).to_contain_text("这票在网点滞留,已催")
    rows.get_by_label("工单号").fill(str(seeded["ticket_id"]))
    rows.get_by_role("button", name="归档").click()
    page.wait_for_load_state()
    shows(page, page.locator('[data-testid="unmatched-replies"]'), "没有未匹配的回复")
    page.goto(f"{live_server.url}/console/tickets/{seeded['ticket_id']}")
    expect(page.locator('[data-testid="timeline"]')).to_contain_text(
        "快递回复(ou_courier):这票在网点滞留,已催"
    )
