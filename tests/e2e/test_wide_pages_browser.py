"""A supervisor's 1,400 px window: the 主动消息 page with long message texts, template bodies and
webhook addresses fits its width (it was 1,986 px wide on the demo)."""

from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.messaging.service import queue_message
from tests.builders import make_template, make_user
from tests.builders.auth import PASSWORD
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

LONG_TEXT = "亲,您的包裹因天气原因暂时无法派送,恢复派送后我们会第一时间通知您," * 6
LONG_URL = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=" + "x" * 120


def seed(session: Session) -> dict[str, Any]:
    make_template(
        session, code="long_notice", name="长通知", body=LONG_TEXT.replace(",", ",{{ order_no }}", 1)
    )
    for n in range(3):
        queue_message(
            session,
            channel="wecom",
            destination=LONG_URL,
            payload={"text": LONG_TEXT},
            idempotency_key=f"wide-{n}",
        )
    return {"username": make_user(session, role=Role.SUPERVISOR).username}


def test_the_messages_page_fits_a_1400px_window(live_server: LiveServer, browser_page: Any) -> None:
    seeded = live_server.seed(seed)
    page = browser_page
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(f"{live_server.url}/console/logistics-messages")
    page.get_by_label("用户名").fill(seeded["username"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="消息模板")).to_be_visible()
    assert int(page.evaluate("document.documentElement.scrollWidth")) <= 1400
