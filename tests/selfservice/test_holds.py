"""Holds are one truth: the portal's order page, its address-change and missing-item forms and the
bot's 催发货 / 延迟发货 answers read the same restriction state and parcel dates."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.orders.models import Order, OrderStatus
from aftersales.selfservice import access
from aftersales.selfservice.bot import compose_answer
from tests.builders import make_order, make_shipment
from tests.builders.logistics import make_region
from tests.builders.selfservice import make_item

NEW_ADDRESS = {
    "receiver_name": "李四",
    "receiver_phone": "13900001111",
    "province": "新疆维吾尔自治区",
    "city": "乌鲁木齐市",
    "district": "天山区",
    "address": "解放南路 1 号",
}


def _login(client: TestClient, order: Order) -> None:
    client.cookies.set(access.SESSION_COOKIE, access.issue_session(order.id), path="/portal")


class TestOrderPage:
    def test_a_past_estimate_reads_as_late_with_a_delay_note(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session)
        make_shipment(session, order=order, estimated_delivery_at=utcnow() - timedelta(days=2))
        _login(client, order)
        page = client.get("/portal/")
        assert "已延误,我们正在催促快递" in page.text

    def test_a_held_order_shows_the_restriction(self, session: Session, client: TestClient) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        make_region(session, province="浙江省", valid_from=utcnow() - timedelta(hours=1))
        _login(client, order)
        page = client.get("/portal/")
        assert "因大促爆仓停发,快递暂时无法派送到浙江省" in page.text


class TestMissingItem:
    def test_an_item_whose_parcel_is_in_transit_is_refused_naming_the_parcel(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session)
        line = make_item(session, order=order, title="替换滤芯")
        make_shipment(session, order=order, courier="yto", tracking_no="YT0009", item_lines=[line.line_no])
        _login(client, order)
        response = client.post("/portal/apply/missing", data={"line_nos": [str(line.line_no)]})
        assert response.status_code == 422
        assert "「替换滤芯」所在包裹 圆通速递 YT0009 还在运输中" in response.text

    def test_an_item_of_a_delivered_parcel_may_be_claimed_while_another_travels(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session)
        first = make_item(session, order=order, title="主机")
        second = make_item(session, order=order, title="替换滤芯")
        make_shipment(session, order=order, item_lines=[first.line_no], delivered_at=utcnow())
        make_shipment(session, order=order, item_lines=[second.line_no])
        _login(client, order)
        response = client.post(
            "/portal/apply/missing", data={"line_nos": [str(first.line_no)]}, follow_redirects=False
        )
        assert response.status_code == 303


class TestAddressChange:
    def test_a_new_address_in_a_restricted_region_is_refused(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        make_region(session, province="新疆维吾尔自治区", valid_from=utcnow() - timedelta(hours=1))
        _login(client, order)
        response = client.post("/portal/apply/address", data=NEW_ADDRESS)
        assert response.status_code == 422
        assert "新地址所在地区暂停派送" in response.text


class TestBotAnswers:
    def test_asked_to_hurry_a_held_order_the_bot_names_the_hold_and_no_date(self, session: Session) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        make_region(session, province="浙江省", valid_from=utcnow() - timedelta(hours=1))
        answer = compose_answer(session, "urge_shipping", order, shop_id=order.shop_id)
        assert answer.startswith("您的订单已付款,暂未发货:因大促爆仓停发")
        assert "最晚" not in answer

    def test_asked_to_delay_a_held_order_the_bot_says_it_is_not_shipping_anyway(
        self, session: Session
    ) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        make_region(session, province="浙江省", valid_from=utcnow() - timedelta(hours=1))
        answer = compose_answer(session, "delay_shipping", order, shop_id=order.shop_id)
        assert answer.startswith("您的订单目前暂未发出:因大促爆仓停发")
