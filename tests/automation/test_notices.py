"""What automatic buyer notices say, how often, and when they are held: the complaints of a shop
that switched automation on (wrong parcel, two notices for one hold, "亲,因,…()" texts)."""

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.logistics import regions, service
from aftersales.logistics.defaults import ensure_defaults
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.messaging.service import CustomerSend, send_customer_messages
from aftersales.orders.models import Order, OrderStatus, Shipment
from tests.builders import make_order, make_parcel, make_shop
from tests.builders.logistics import make_region, make_template

NOW = datetime(2026, 11, 14, 6, 0, tzinfo=UTC)


def messages(session: Session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def out_for_delivery(session: Session, order: Order, tracking_no: str) -> Shipment:
    return make_parcel(
        session,
        order=order,
        tracking_no=tracking_no,
        courier="sf",
        shipped_at=NOW - timedelta(hours=20),
        estimated_delivery_at=NOW + timedelta(days=1),
        timeline=[
            (NOW - timedelta(hours=18), "【杭州】快件已揽收", "杭州"),
            (NOW - timedelta(hours=2), "【北京】快递员正在派送", "北京"),
        ],
    )


def late(session: Session, order: Order, tracking_no: str, eta: datetime) -> Shipment:
    return make_parcel(
        session,
        order=order,
        tracking_no=tracking_no,
        courier="yto",
        shipped_at=NOW - timedelta(hours=80),
        estimated_delivery_at=eta,
        timeline=[
            (NOW - timedelta(hours=78), "【杭州】快件已揽收", "杭州"),
            (NOW - timedelta(hours=10), "快件已到达【郑州转运中心】", "郑州"),
        ],
    )


class TestRightParcel:
    def test_each_late_parcel_gets_its_own_apology_naming_it_and_not_the_first_parcel(
        self, session: Session
    ) -> None:
        ensure_defaults(session)
        order = make_order(session, source_id="2611111100005459", shop=make_shop(session, name="数码旗舰店"))
        out_for_delivery(session, order, "SF000FIRST")
        late(session, order, "YT111LATE", NOW - timedelta(hours=30))
        late(session, order, "YT222LATE", NOW - timedelta(hours=20))
        service.scan(session, now=NOW)
        service.follow_up(session, now=NOW)
        heads = [m.payload["text"].split("\n")[0] for m in messages(session)]
        assert heads == [
            "亲,您在数码旗舰店的订单 2611111100005459 中,圆通速递运单 YT111LATE(运输中)比预计慢了一些"
            "(原预计 11月13日 送达),真的很抱歉!我们已联系圆通速递加急处理,有任何进展会第一时间告诉您~",
            "亲,您在数码旗舰店的订单 2611111100005459 中,圆通速递运单 YT222LATE(运输中)比预计慢了一些"
            "(原预计 11月13日 送达),真的很抱歉!我们已联系圆通速递加急处理,有任何进展会第一时间告诉您~",
        ]

    def test_a_split_order_apology_lists_every_parcel_with_its_status(self, session: Session) -> None:
        ensure_defaults(session)
        order = make_order(session, source_id="T5460")
        out_for_delivery(session, order, "SF000FIRST")
        late(session, order, "YT111LATE", NOW - timedelta(hours=30))
        service.scan(session, now=NOW)
        service.follow_up(session, now=NOW)
        [message] = messages(session)
        assert message.payload["text"].split("\n")[1:] == [
            "本单共 2 个包裹:",
            "1. 顺丰速运 SF000FIRST(派送中,预计 11月15日)",
            "2. 圆通速递 YT111LATE(运输中,预计 11月13日)",
        ]

    def test_the_message_records_the_rule_finding_parcel_and_template_version(self, session: Session) -> None:
        ensure_defaults(session)
        order = make_order(session)
        parcel = late(session, order, "YT111LATE", NOW - timedelta(hours=30))
        service.scan(session, now=NOW)
        service.follow_up(session, now=NOW)
        [message] = messages(session)
        assert message.reason is not None
        assert {k: message.reason[k] for k in ("rule", "parcel", "template", "template_version")} == {
            "rule": "超时未送达",
            "parcel": "YT111LATE",
            "template": "eta_apology",
            "template_version": 1,
        }
        assert "YT111LATE" in message.reason["finding"]
        assert parcel.id is not None


def restricted(session: Session) -> Order:
    make_region(
        session,
        province="西藏自治区",
        reason="大雪封路",
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(days=5),
    )
    order = make_order(session, province="西藏自治区", ordered_at=NOW - timedelta(days=2))
    make_parcel(session, order=order, tracking_no="YT333HELD", shipped_at=NOW - timedelta(hours=5))
    return order


class TestOnce:
    def test_a_restricted_region_hold_seen_by_the_scan_and_the_hold_sends_one_complete_notice(
        self, session: Session
    ) -> None:
        ensure_defaults(session)
        restricted(session)
        service.scan(session, now=NOW)
        service.follow_up(session, now=NOW)
        regions.flag_orders(session, now=NOW)
        regions.notify_holds(session, now=NOW)
        [message] = messages(session)
        assert message.status == OutboxStatus.PENDING
        assert "大雪封路" in message.payload["text"]
        assert "(11月19日)" in message.payload["text"]

    def test_the_hold_path_first_then_the_scan_still_sends_one(self, session: Session) -> None:
        ensure_defaults(session)
        restricted(session)
        regions.flag_orders(session, now=NOW)
        regions.notify_holds(session, now=NOW)
        service.scan(session, now=NOW)
        service.follow_up(session, now=NOW)
        assert len(messages(session)) == 1


class TestNeverBroken:
    def test_a_text_with_an_empty_variable_is_held_with_the_variable_named(self, session: Session) -> None:
        ensure_defaults(session)
        order = make_order(session)
        send = CustomerSend(order.id, "k-broken", why={"rule": "停发地区"})
        send_customer_messages(session, template_code="restricted_notice", sends=[send])
        [message] = messages(session)
        assert (message.status, message.last_error) == (
            OutboxStatus.HELD,
            "模板变量为空或未知,未发送: 停发原因(restricted_reason)、预计恢复发货日期(restricted_until)",
        )

    def test_an_empty_variable_inside_an_if_is_no_reason_to_hold(self, session: Session) -> None:
        make_template(
            session, code="tpl", body="亲,订单 {{ order_no }}{% if eta_date %},预计 {{ eta_date }}{% endif %}"
        )
        order = make_order(session, source_id="T77")
        send_customer_messages(session, template_code="tpl", sends=[CustomerSend(order.id, "k-if")])
        [message] = messages(session)
        assert (message.status, message.payload["text"]) == (OutboxStatus.PENDING, "亲,订单 T77")

    def test_a_held_message_is_never_delivered(self, session: Session) -> None:
        from aftersales.messaging.jobs import deliver_outbox

        ensure_defaults(session)
        order = make_order(session, status=OrderStatus.PAID)
        send_customer_messages(
            session, template_code="restricted_notice", sends=[CustomerSend(order.id, "k")]
        )
        assert deliver_outbox(session, checkpoint=session.commit)["claimed"] == 0
        assert messages(session)[0].status == OutboxStatus.HELD


def test_an_invoice_message_links_to_the_portals_invoice_page(session: Session, client: TestClient) -> None:
    make_template(session, code="invoice_tpl", body="亲,电子发票已开好: {{ invoice_link }}")
    order = make_order(session, invoice_title="杭州某某科技有限公司")
    send_customer_messages(session, template_code="invoice_tpl", sends=[CustomerSend(order.id, "k-inv")])
    [message] = messages(session)
    assert message.status == OutboxStatus.PENDING
    link = message.payload["text"].split(": ", 1)[1]
    page = client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert f"电子发票 · 订单 {order.source_id}" in page.text
