"""The supervisors' dry run: what automation would send over the next day, with why, sending nothing."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import utcnow
from aftersales.logistics import care
from aftersales.logistics.defaults import ensure_defaults
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import OrderItem
from tests.builders import make_order, make_parcel, make_sku
from tests.web.test_console import log_in


def test_the_preview_lists_the_care_message_due_tomorrow_with_its_rule_and_queues_nothing(
    client: TestClient, session: Session
) -> None:
    ensure_defaults(session)
    delivered = utcnow() - timedelta(hours=1)
    order = make_order(session)
    sku = make_sku(session)
    session.add(
        OrderItem(
            order_id=order.id, line_no=1, sku_id=sku.id, title="智能摄像头", quantity=1, unit_price_fen=1
        )
    )
    make_parcel(
        session,
        order=order,
        shipped_at=delivered - timedelta(days=2),
        timeline=[
            (delivered - timedelta(days=2), "【杭州】快件已揽收", "杭州"),
            (delivered, "已签收", "北京"),
        ],
    )
    care.schedule(session, now=utcnow())
    log_in(client, session, Role.SUPERVISOR)
    page = client.get("/console/logistics-messages/preview").text
    assert "规则: 签收关怀;依据: 签收关怀(计划于签收后发送);模板: 签收关怀 第1版" in page
    assert "计划发送" in page
    assert "亲,您的智能摄像头已经签收啦~" in page
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_agents_cannot_open_the_preview(client: TestClient, session: Session) -> None:
    log_in(client, session, Role.AGENT)
    assert client.get("/console/logistics-messages/preview").status_code == 403


def test_a_care_text_missing_its_item_names_is_previewed_as_held(
    client: TestClient, session: Session
) -> None:
    ensure_defaults(session)
    delivered = utcnow() - timedelta(hours=1)
    make_parcel(
        session,
        order=make_order(session),
        shipped_at=delivered - timedelta(days=2),
        timeline=[
            (delivered - timedelta(days=2), "【杭州】快件已揽收", "杭州"),
            (delivered, "已签收", "北京"),
        ],
    )
    care.schedule(session, now=utcnow())
    log_in(client, session, Role.SUPERVISOR)
    page = client.get("/console/logistics-messages/preview").text
    assert "将被暂缓" in page
    assert "模板变量为空或未知,未发送: 商品名称(顿号分隔)(item_titles)" in page
