"""抖店消息推送: the ``event-sign`` as the guide defines it, the push endpoint refusing what 抖店
did not sign, each order or after-sale message fetched in full from the local 抖店 gateway by the
queued job and stored as the sync stores it, a repeated ``msg_id`` taken once, and a refund pushed
while its parcel is in transit held for interception exactly as a synced refund is."""

import hashlib
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import douyin_push, jobs, platform_sync
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.jobs.models import Job
from aftersales.logistics.models import Intercept
from aftersales.orders.models import Order, Shipment
from aftersales.returns.models import RefundState, ReturnRequest
from tests.builders.connectors import DOUYIN_CREDENTIALS, make_platform_account
from tests.connectors import fake_douyin
from tests.connectors.provider_server import ProviderServer

APP_KEY, SECRET = DOUYIN_CREDENTIALS["app_key"], DOUYIN_CREDENTIALS["app_secret"]
ORDER_ID = "6900000000000501"


@pytest.fixture
def fake() -> fake_douyin.FakeDoudian:
    return fake_douyin.FakeDoudian(*DOUYIN_CREDENTIALS.values())


@pytest.fixture
def account(session: Session, server: ProviderServer, shop: Shop) -> ConnectorAccount:
    return make_platform_account(session, provider=Provider.DOUYIN, endpoint=server.url, shop=shop)


def push(
    client: TestClient,
    account: ConnectorAccount,
    body: bytes,
    *,
    sign: str | None = None,
    app_id: str = APP_KEY,
) -> Any:
    headers = {
        "app-id": app_id,
        "event-sign": sign if sign is not None else fake_douyin.push_sign(APP_KEY, body, SECRET),
        "Content-Type": "application/json",
    }
    return client.post(f"/api/connectors/douyin/{account.id}/push", content=body, headers=headers)


def queued(session: Session) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.name == "connectors.platform_fetch").order_by(Job.id)))


def run_queued(session: Session) -> list[dict[str, Any] | None]:
    """What the runner does with each queued fetch: the job function over its payload."""
    return [jobs.platform_fetch(session, **job.payload) for job in queued(session)]


def order_created(msg_id: str = "7000:0:0:1", order_id: str = ORDER_ID) -> bytes:
    return fake_douyin.push_body((100, msg_id, {"p_id": int(order_id), "shop_id": 77, "order_status": 1}))


def after_sale_created(aftersale_id: str, order_id: str, msg_id: str = "7001:0:0:1") -> bytes:
    data = {"p_id": int(order_id), "aftersale_id": int(aftersale_id), "aftersale_status": 6, "reason_code": 1}
    return fake_douyin.push_body((200, msg_id, data))


class TestSignature:
    def test_event_sign_is_md5_of_app_key_body_and_secret(self) -> None:
        body = b'[{"tag":"100","msg_id":"1","data":"{}"}]'
        key, secret = "3409409348479354011", "2ad2355c-01d0-11f8-91dc-05a8cd1054b1"
        expected = hashlib.md5(key.encode() + body + secret.encode()).hexdigest()
        assert douyin_push.event_sign(app_key=key, body=body, secret=secret) == expected


class TestEndpoint:
    def test_a_signed_push_is_answered_as_documented_and_queues_the_fetch(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        response = push(client, account, order_created())
        assert (response.status_code, response.json()) == (200, {"code": 0, "msg": "success"})
        [job] = queued(session)
        assert job.payload == {"account_id": account.id, "trades": [ORDER_ID], "refunds": []}

    def test_a_wrong_signature_is_refused_and_queues_nothing(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        body = order_created()
        response = push(client, account, body, sign=fake_douyin.push_sign(APP_KEY, body, "not-the-secret"))
        assert response.status_code == 401
        assert queued(session) == []

    def test_another_apps_push_is_refused(self, client: TestClient, account: ConnectorAccount) -> None:
        body = order_created()
        sign = fake_douyin.push_sign("7999999999999999999", body, SECRET)
        assert push(client, account, body, sign=sign, app_id="7999999999999999999").status_code == 401

    def test_a_push_without_headers_is_refused(self, client: TestClient, account: ConnectorAccount) -> None:
        response = client.post(f"/api/connectors/douyin/{account.id}/push", content=order_created())
        assert response.status_code == 401

    def test_the_url_check_message_is_acknowledged_without_work(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        response = push(client, account, fake_douyin.push_body((0, "0:0:0:0", {})))
        assert response.json() == {"code": 0, "msg": "success"}
        assert queued(session) == []

    def test_a_message_pushed_again_is_taken_once(
        self, session: Session, client: TestClient, account: ConnectorAccount
    ) -> None:
        push(client, account, order_created(msg_id="7000:9:9:9"))
        again = push(client, account, order_created(msg_id="7000:9:9:9"))
        assert again.json() == {"code": 0, "msg": "success"}
        assert len(queued(session)) == 1

    def test_a_signed_body_that_is_not_a_message_array_is_invalid_input(
        self, client: TestClient, account: ConnectorAccount
    ) -> None:
        assert push(client, account, b'{"tag": "100"}').status_code == 422


class TestFetch:
    def test_a_pushed_order_is_read_in_full_with_its_parcel(
        self, session: Session, client: TestClient, fake: fake_douyin.FakeDoudian, account: ConnectorAccount
    ) -> None:
        fake.orders = [fake_douyin.order(ORDER_ID, shipped=True)]
        push(client, account, order_created())
        assert run_queued(session) == [{"trades": 1, "refunds": 0}]
        order = session.scalar(select(Order).where(Order.source_id == ORDER_ID))
        assert order is not None
        assert order.paid_fen == 39900
        parcel = session.scalar(select(Shipment).where(Shipment.order_id == order.id))
        assert parcel is not None
        assert parcel.tracking_no == f"7310{ORDER_ID[-8:]}"

    def test_the_fetch_asks_for_the_one_order_by_its_number(
        self,
        session: Session,
        client: TestClient,
        server: ProviderServer,
        fake: fake_douyin.FakeDoudian,
        account: ConnectorAccount,
    ) -> None:
        fake.orders = [fake_douyin.order(ORDER_ID)]
        push(client, account, order_created())
        run_queued(session)
        [call] = server.calls
        assert (call.path, call.query["method"]) == ("/order/orderDetail", "order.orderDetail")
        assert call.body.decode() == f'{{"shop_order_id":"{ORDER_ID}"}}'

    def test_a_throttled_fetch_is_left_for_the_runner_to_retry(
        self, session: Session, client: TestClient, fake: fake_douyin.FakeDoudian, account: ConnectorAccount
    ) -> None:
        fake.orders = [fake_douyin.order(ORDER_ID)]
        fake.throttle_next = 1
        push(client, account, order_created())
        with pytest.raises(ProviderError) as throttled:
            run_queued(session)
        assert throttled.value.retry is True

    def test_a_refused_token_is_the_accounts_error(
        self, session: Session, client: TestClient, fake: fake_douyin.FakeDoudian, account: ConnectorAccount
    ) -> None:
        fake.token = "another"
        push(client, account, order_created())
        assert run_queued(session) == [{"failed": 1}]
        assert account.last_error is not None
        assert "30002" in account.last_error


class TestPushedRefund:
    def test_a_refund_pushed_while_the_parcel_is_in_transit_is_held_for_interception(
        self, session: Session, client: TestClient, fake: fake_douyin.FakeDoudian, account: ConnectorAccount
    ) -> None:
        fake.orders = [fake_douyin.order(ORDER_ID, shipped=True, hours_ago=20)]
        platform_sync.sync_account(session, account=account, now=fake_douyin.NOW)
        fake.aftersales = [fake_douyin.aftersale("93000501", ORDER_ID)]
        push(client, account, after_sale_created("93000501", ORDER_ID))
        assert run_queued(session) == [{"trades": 0, "refunds": 1}]
        request = session.scalar(select(ReturnRequest).where(ReturnRequest.source_id == "93000501"))
        assert request is not None
        assert (request.refund_fen, request.refund_state) == (39900, RefundState.HELD_FOR_INTERCEPT)
        assert session.scalar(select(Intercept).where(Intercept.refund_request_id == request.id)) is not None

    def test_the_pushed_refund_and_the_next_sync_make_one_request(
        self, session: Session, client: TestClient, fake: fake_douyin.FakeDoudian, account: ConnectorAccount
    ) -> None:
        fake.orders = [fake_douyin.order(ORDER_ID, shipped=True, hours_ago=20)]
        fake.aftersales = [fake_douyin.aftersale("93000502", ORDER_ID)]
        push(client, account, order_created())
        push(client, account, after_sale_created("93000502", ORDER_ID))
        run_queued(session)
        platform_sync.sync_account(session, account=account, now=fake_douyin.NOW)
        found = session.scalars(select(ReturnRequest).where(ReturnRequest.source_id == "93000502")).all()
        assert len(found) == 1
