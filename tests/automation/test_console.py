"""Supervisors see why automation wrote (or held) a message: on the messages page and the order."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.logistics import service
from aftersales.logistics.defaults import ensure_defaults
from aftersales.messaging.service import CustomerSend, send_customer_messages
from tests.builders import make_order, make_parcel
from tests.web.test_console import log_in

NOW = datetime(2026, 11, 14, 6, 0, tzinfo=UTC)


def test_a_held_message_is_listed_for_supervisors_with_why_it_was_not_sent(
    client: TestClient, session: Session
) -> None:
    ensure_defaults(session)
    order = make_order(session)
    send = CustomerSend(order.id, "k-held", why={"rule": "停发地区", "finding": "西藏自治区 停发"})
    send_customer_messages(session, template_code="restricted_notice", sends=[send])
    log_in(client, session, Role.SUPERVISOR)
    page = client.get("/console/logistics-messages").text
    assert "待处理(内容不完整,未发送)" in page
    assert "模板变量为空或未知,未发送: 停发原因(restricted_reason)" in page
    assert "规则: 停发地区;依据: 西藏自治区 停发;模板: 停发地区通知 第1版" in page


def test_the_order_page_shows_each_automatic_message_with_its_rule_and_parcel(
    client: TestClient, session: Session
) -> None:
    ensure_defaults(session)
    order = make_order(session)
    make_parcel(
        session,
        order=order,
        tracking_no="YT111LATE",
        courier="yto",
        shipped_at=NOW - timedelta(hours=80),
        estimated_delivery_at=NOW - timedelta(hours=30),
        timeline=[(NOW - timedelta(hours=78), "【杭州】快件已揽收", "杭州")],
    )
    service.scan(session, now=NOW)
    service.follow_up(session, now=NOW)
    log_in(client, session)
    assert "/console/logistics/panels/order/" in client.get(f"/console/orders/{order.id}").text
    page = client.get(f"/console/logistics/panels/order/{order.id}/messages").text
    assert "规则: 超时未送达;依据: 包裹 圆通速递 YT111LATE 已超过承诺/预计送达时间" in page
    assert "包裹: YT111LATE;模板: 延误致歉 第1版" in page
