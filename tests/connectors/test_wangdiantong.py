"""旺店通: the signature against the guide's own example, a reshipment pushed through the outbox as
a signed original order (idempotent by its RS number), the waiting shipments drained page by page
and acknowledged, the waybill back-filled into the reshipment, and the failures the health record
and the outbox show."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import erp_sync, service, wangdiantong
from aftersales.connectors.models import ConnectorAccount
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.orders.models import Shipment
from aftersales.returns import reshipments
from aftersales.returns.models import Reshipment, ReshipmentStatus
from aftersales.returns.schemas import ReshipItem, ReshipmentIn
from tests.builders import make_order, make_return_policy
from tests.builders.connectors import WDT_CREDENTIALS, make_wangdiantong_account
from tests.connectors.fake_wangdiantong import FakeWangdiantong, wdt_sign
from tests.connectors.provider_server import ProviderServer

GUIDE_EXAMPLE = {
    "appkey": "test2-xx",
    "page_no": "0",
    "end_time": "2016-08-01 13:00:00",
    "start_time": "2016-08-01 12:00:00",
    "page_size": "40",
    "sid": "test2",
    "timestamp": "1470042310",
}


@pytest.fixture
def fake() -> FakeWangdiantong:
    return FakeWangdiantong(*WDT_CREDENTIALS.values())


@pytest.fixture
def account(session: Session, server: ProviderServer, shop: Shop) -> ConnectorAccount:
    return make_wangdiantong_account(session, endpoint=server.url + "/openapi", shop=shop)


def reshipment_for(session: Session, shop: Shop) -> Reshipment:
    order = make_order(session, shop=shop)
    make_return_policy(session, shop=shop, erp_format="wangdiantong", erp_url=None)
    data = ReshipmentIn(
        order_id=order.id, items=[ReshipItem(sku_code="HT-PILLOW", title="乳胶枕", quantity=1)], reason="漏发"
    )
    return reshipments.create_reshipment(session, data=data, actor_id=None)


def pushed(session: Session, shop: Shop) -> Reshipment:
    reshipment = reshipment_for(session, shop)
    session.commit()
    deliver_outbox(session, checkpoint=session.commit)
    return reshipment


def outbox_row(session: Session, reshipment: Reshipment) -> OutboxMessage:
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == reshipment.outbox_key))
    assert row is not None
    return row


class TestSignature:
    def test_matches_the_guides_worked_example(self) -> None:
        assert wangdiantong.sign(GUIDE_EXAMPLE, "12345") == "ad4e6fe037ea6e3ba4768317be9d1309"
        assert wdt_sign(GUIDE_EXAMPLE, "12345") == "ad4e6fe037ea6e3ba4768317be9d1309"

    def test_writes_lengths_in_characters_as_the_demo_clients_count_them(self) -> None:
        assert wangdiantong.packed({"goods_name": "乳胶枕", "sign": "x"}) == "10-goods_name:0003-乳胶枕"


class TestPush:
    def test_a_reshipment_goes_out_as_a_signed_original_order(
        self, session: Session, shop: Shop, fake: FakeWangdiantong, account: ConnectorAccount
    ) -> None:
        reshipment = pushed(session, shop)
        trade = fake.trades[f"RS{reshipment.id}"]
        line = trade["order_list"][0]
        assert (trade["trade_status"], trade["receiver_city"], line["spec_no"], line["num"]) == (
            30,
            "杭州市",
            "HT-PILLOW",
            1,
        )
        assert outbox_row(session, reshipment).status == OutboxStatus.SENT
        assert account.success_count == 1

    def test_a_repeated_push_updates_the_same_original_order(
        self, session: Session, shop: Shop, fake: FakeWangdiantong, account: ConnectorAccount
    ) -> None:
        message = outbox_row(session, reshipment_for(session, shop))
        erp_sync.channel.send(message)
        erp_sync.channel.send(message)
        assert (fake.pushes, len(fake.trades)) == (2, 1)

    def test_a_wrong_secret_fails_the_delivery_and_is_recorded(
        self, session: Session, shop: Shop, fake: FakeWangdiantong, account: ConnectorAccount
    ) -> None:
        fake.appsecret = "another"
        reshipment = pushed(session, shop)
        assert outbox_row(session, reshipment).status != OutboxStatus.SENT
        assert "1007" in (account.last_error or "")
        assert fake.trades == {}

    def test_a_clock_more_than_five_minutes_off_is_refused(
        self, session: Session, shop: Shop, fake: FakeWangdiantong, account: ConnectorAccount
    ) -> None:
        fake.clock_skew = 301
        reshipment = pushed(session, shop)
        assert outbox_row(session, reshipment).status != OutboxStatus.SENT
        assert "timestamp" in (account.last_error or "")


class TestPull:
    def test_a_shipped_order_gives_the_reshipment_its_parcel_and_is_acknowledged(
        self, session: Session, shop: Shop, fake: FakeWangdiantong, account: ConnectorAccount
    ) -> None:
        reshipment = pushed(session, shop)
        assert wangdiantong.pull_shipped(session) == {"shipped": 0, "waiting": 1, "failed": 0}
        rec_id = fake.ship(f"RS{reshipment.id}", waybill="73100000888")
        assert wangdiantong.pull_shipped(session) == {"shipped": 1, "waiting": 0, "failed": 0}
        parcel = session.get(Shipment, reshipment.shipment_id)
        assert parcel is not None
        assert (reshipment.status, parcel.courier, parcel.tracking_no) == (
            ReshipmentStatus.SHIPPED,
            "zto",
            "73100000888",
        )
        assert (fake.acks[rec_id]["status"], fake.waiting) == (0, {})

    def test_the_queue_is_drained_page_by_page_and_others_orders_acknowledged_as_not_ours(
        self, session: Session, shop: Shop, fake: FakeWangdiantong, account: ConnectorAccount
    ) -> None:
        reshipment = pushed(session, shop)
        foreign = [fake.ship(f"MALL{n}", waybill=f"YT{n}") for n in range(150)]
        fake.ship(f"RS{reshipment.id}", waybill="73100000889")
        assert wangdiantong.pull_shipped(session)["shipped"] == 1
        assert (fake.queries, fake.waiting) == ([100, 100], {})
        assert {fake.acks[rec_id]["status"] for rec_id in foreign} == {1}

    def test_an_unknown_courier_is_acknowledged_as_failed_and_recorded(
        self, session: Session, shop: Shop, fake: FakeWangdiantong, account: ConnectorAccount
    ) -> None:
        reshipment = pushed(session, shop)
        rec_id = fake.ship(f"RS{reshipment.id}", waybill="X0000001", company="不存在的快递")
        assert wangdiantong.pull_shipped(session)["failed"] == 1
        assert fake.acks[rec_id]["status"] == 1
        assert f"RS{reshipment.id}" in (account.last_error or "")
        assert reshipment.status == ReshipmentStatus.PUSHING


def test_test_connection_makes_a_signed_query(session: Session, account: ConnectorAccount) -> None:
    assert service.test_connection(session, account=account) == "凭证有效,待同步物流 0 条"
