"""聚水潭: the signature as documented, a reshipment pushed through the outbox as a signed order
upload (idempotent by its RS number), its waybill read back into the ERP callback, and the
failures the health record and the outbox show."""

import hashlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import erp_sync, jushuitan, service
from aftersales.connectors.models import ConnectorAccount
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.orders.models import Shipment
from aftersales.returns import reshipments
from aftersales.returns.models import Reshipment, ReshipmentStatus
from aftersales.returns.schemas import ReshipItem, ReshipmentIn
from tests.builders import make_order, make_return_policy
from tests.builders.connectors import JUSHUITAN_CREDENTIALS, make_jushuitan_account
from tests.connectors.fake_jushuitan import FakeJushuitan
from tests.connectors.provider_server import ProviderServer


@pytest.fixture
def fake() -> FakeJushuitan:
    return FakeJushuitan(*JUSHUITAN_CREDENTIALS.values())


@pytest.fixture
def account(session: Session, server: ProviderServer, shop: Shop) -> ConnectorAccount:
    return make_jushuitan_account(session, endpoint=server.url, shop=shop)


def reshipment_for(session: Session, shop: Shop) -> Reshipment:
    order = make_order(session, shop=shop)
    make_return_policy(session, shop=shop, erp_format="jushuitan", erp_url=None)
    data = ReshipmentIn(
        order_id=order.id, items=[ReshipItem(sku_code="HT-PILLOW", title="乳胶枕", quantity=1)], reason="漏发"
    )
    return reshipments.create_reshipment(session, data=data, actor_id=None)


def outbox_row(session: Session, reshipment: Reshipment) -> OutboxMessage:
    row = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == reshipment.outbox_key))
    assert row is not None
    return row


def test_signs_the_secret_prefixed_sorted_parameters_in_lower_case_md5() -> None:
    form = {"app_key": "k", "biz": "{}", "timestamp": "1", "charset": "utf-8", "version": "2"}
    expected = hashlib.md5(b"Sapp_keykbiz{}charsetutf-8timestamp1version2").hexdigest()
    assert jushuitan.sign(form, "S") == expected


class TestPush:
    def test_a_reshipment_goes_out_as_a_signed_order_upload(
        self, session: Session, shop: Shop, fake: FakeJushuitan, account: ConnectorAccount
    ) -> None:
        reshipment = reshipment_for(session, shop)
        assert outbox_row(session, reshipment).channel == "erp"
        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
        uploaded = fake.orders[f"RS{reshipment.id}"]["upload"]
        assert (uploaded["shop_id"], uploaded["items"][0]["sku_id"], uploaded["items"][0]["qty"]) == (
            10086,
            "HT-PILLOW",
            1,
        )
        assert outbox_row(session, reshipment).status == OutboxStatus.SENT
        assert account.success_count == 1

    def test_a_repeated_push_updates_the_same_erp_order(
        self, session: Session, shop: Shop, fake: FakeJushuitan, account: ConnectorAccount
    ) -> None:
        reshipment = reshipment_for(session, shop)
        message = outbox_row(session, reshipment)
        erp_sync.channel.send(message)
        erp_sync.channel.send(message)
        assert (fake.uploads, len(fake.orders)) == (2, 1)

    def test_a_refused_token_fails_the_delivery_and_is_recorded(
        self, session: Session, shop: Shop, fake: FakeJushuitan, account: ConnectorAccount
    ) -> None:
        fake.token = "another"
        reshipment = reshipment_for(session, shop)
        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
        assert outbox_row(session, reshipment).status != OutboxStatus.SENT
        assert "access_token" in (account.last_error or "")
        assert fake.orders == {}


class TestPull:
    def test_a_shipped_erp_order_gives_the_reshipment_its_parcel(
        self, session: Session, shop: Shop, fake: FakeJushuitan, account: ConnectorAccount
    ) -> None:
        reshipment = reshipment_for(session, shop)
        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
        assert jushuitan.pull_shipped(session) == {"shipped": 0, "waiting": 1, "failed": 0}
        fake.ship(f"RS{reshipment.id}", waybill="73100000999")
        assert jushuitan.pull_shipped(session) == {"shipped": 1, "waiting": 0, "failed": 0}
        session.refresh(reshipment)
        assert reshipment.status == ReshipmentStatus.SHIPPED
        parcel = session.get(Shipment, reshipment.shipment_id)
        assert parcel is not None
        assert (parcel.courier, parcel.tracking_no, parcel.is_reshipment) == ("zto", "73100000999", True)
        assert jushuitan.pull_shipped(session) == {"shipped": 0, "waiting": 0, "failed": 0}

    def test_an_unknown_courier_is_reported_not_stored(
        self, session: Session, shop: Shop, fake: FakeJushuitan, account: ConnectorAccount
    ) -> None:
        reshipment = reshipment_for(session, shop)
        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
        fake.ship(f"RS{reshipment.id}", waybill="X0000001", company="不存在的快递")
        assert jushuitan.pull_shipped(session)["failed"] == 1
        assert f"RS{reshipment.id}" in (account.last_error or "")


def test_test_connection_makes_a_signed_query(session: Session, account: ConnectorAccount) -> None:
    assert service.test_connection(session, account=account) == "凭证有效,订单查询可用"
