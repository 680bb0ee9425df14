import json
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.audit.webhooks import SIGNATURE_HEADER, sign, source_secret
from aftersales.catalog.models import Shop
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.orders.models import Order, Shipment
from aftersales.returns import reshipments
from aftersales.returns.models import Reshipment, ReshipmentStatus
from aftersales.returns.schemas import ErpCallbackIn, ReshipItem, ReshipmentIn
from tests.builders import make_order, make_return_policy, make_return_request
from tests.receiver import Receiver, receiving_server


@pytest.fixture
def erp() -> Iterator[Receiver]:
    with receiving_server() as server:
        yield server


def _reshipment(
    session: Session, *, url: str | None, erp_format: str = "generic", **order_fields: object
) -> Reshipment:
    order = make_order(session, **order_fields)
    make_return_policy(
        session, shop=_shop(session, order), erp_url=url, erp_format=erp_format, erp_shop_no="WDT-01"
    )
    data = ReshipmentIn(
        order_id=order.id,
        items=[ReshipItem(sku_code="HT-PILLOW", title="乳胶枕", quantity=1)],
        reason="漏发一只枕头",
    )
    return reshipments.create_reshipment(session, data=data, actor_id=None)


def _shop(session: Session, order: Order) -> Shop:
    shop = session.get(Shop, order.shop_id)
    assert shop is not None
    return shop


def _push(session: Session, reshipment: Reshipment) -> OutboxMessage:
    message = session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == reshipment.outbox_key)
    )
    assert message is not None
    return message


class TestPush:
    def test_reshipment_queues_a_signed_generic_push_with_the_orders_address(self, session: Session) -> None:
        reshipment = _reshipment(session, url="http://erp.example/push")
        payload = _push(session, reshipment).payload
        assert payload["out_order_no"] == f"RS{reshipment.id}"
        assert payload["receiver"]["city"] == "杭州市"
        assert payload["items"] == [{"sku_code": "HT-PILLOW", "title": "乳胶枕", "quantity": 1}]

    def test_a_wangdiantong_shop_pushes_through_the_erp_channel_without_a_url(self, session: Session) -> None:
        reshipment = _reshipment(session, url=None, erp_format="wangdiantong")
        message = _push(session, reshipment)
        assert (message.channel, message.destination) == ("erp", "wangdiantong")
        assert message.payload["out_order_no"] == f"RS{reshipment.id}"

    def test_shop_without_an_erp_url_cannot_push(self, session: Session) -> None:
        from aftersales.kit.errors import ConflictError

        order = make_order(session)
        with pytest.raises(ConflictError, match="ERP"):
            reshipments.create_reshipment(
                session,
                data=ReshipmentIn(order_id=order.id, items=[ReshipItem(title="枕头")], reason="漏发"),
                actor_id=None,
            )

    def test_high_value_quality_request_asks_the_erp_for_sf(self, session: Session) -> None:
        order = make_order(session, paid_fen=150_000, total_fen=150_000)
        make_return_policy(session, shop=_shop(session, order), erp_url="http://erp.example/push")
        request = make_return_request(session, order=order, reason_code="defective")
        data = ReshipmentIn(
            order_id=order.id, request_id=request.id, items=[ReshipItem(title="主机")], reason="换新"
        )
        reshipment = reshipments.create_reshipment(session, data=data, actor_id=None)
        assert _push(session, reshipment).payload["courier_hint"] == "sf"


class TestPushRetry:
    def test_a_failed_push_is_retried_and_the_sync_state_says_so(
        self, session: Session, session_factory: sessionmaker[Session], erp: Receiver
    ) -> None:
        reshipment = _reshipment(session, url=erp.url + "/erp")
        session.commit()
        erp.fail_next = 1
        deliver_outbox(session, checkpoint=session.commit)
        message = _push(session, reshipment)
        assert message.status == OutboxStatus.PENDING
        assert "重试中" in reshipments.sync_state(reshipment, message)
        message.next_attempt_at = message.created_at
        session.commit()
        deliver_outbox(session, checkpoint=session.commit)
        assert message.status == OutboxStatus.SENT
        assert reshipments.sync_state(reshipment, message) == "已推送,待 ERP 发货"
        assert erp.received[0].body["out_order_no"] == f"RS{reshipment.id}"
        assert "X-Aftersales-Signature" in erp.received[0].headers


def _signed(body: dict[str, object]) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    header = sign(raw, source_secret("erp"), int(time.time()))
    return raw, {SIGNATURE_HEADER: header, "Content-Type": "application/json"}


class TestErpCallback:
    def test_callback_back_fills_a_tracked_reshipment_parcel_and_notifies_the_customer(
        self, client: TestClient, session: Session
    ) -> None:
        reshipment = _reshipment(session, url="http://erp.example/push")
        raw, headers = _signed(
            {"out_order_no": f"RS{reshipment.id}", "courier": "顺丰", "tracking_no": "SF1234567890"}
        )
        response = client.post("/api/returns/erp/callback", content=raw, headers=headers)
        assert response.status_code == 200
        session.refresh(reshipment)
        parcel = session.get(Shipment, reshipment.shipment_id)
        assert parcel is not None
        assert (parcel.courier, parcel.tracking_no, parcel.is_reshipment) == ("sf", "SF1234567890", True)
        assert reshipment.status == ReshipmentStatus.SHIPPED
        notice = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key.like(f"returns:reshipment:{reshipment.id}:shipped%")
            )
        )
        assert notice is not None
        assert "SF1234567890" in notice.payload["text"]

    def test_callback_with_a_wrong_signature_is_refused(self, client: TestClient, session: Session) -> None:
        reshipment = _reshipment(session, url="http://erp.example/push")
        raw, headers = _signed(
            {"out_order_no": f"RS{reshipment.id}", "courier": "sf", "tracking_no": "SF1234567890"}
        )
        headers[SIGNATURE_HEADER] = headers[SIGNATURE_HEADER][:-4] + "0000"
        response = client.post("/api/returns/erp/callback", content=raw, headers=headers)
        assert response.status_code == 401
        assert session.get(Reshipment, reshipment.id).shipment_id is None  # type: ignore[union-attr]

    def test_the_same_callback_twice_notifies_the_customer_once(self, session: Session) -> None:
        reshipment = _reshipment(session, url="http://erp.example/push")
        data = ErpCallbackIn(out_order_no=f"RS{reshipment.id}", courier="sf", tracking_no="SF1234567890")
        reshipments.erp_callback(session, data=data)
        reshipments.erp_callback(session, data=data)
        notices = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key.like(f"returns:reshipment:{reshipment.id}:shipped%")
            )
        ).all()
        assert len(notices) == 1

    def test_callback_for_an_unknown_reshipment_is_404(self, client: TestClient) -> None:
        raw, headers = _signed({"out_order_no": "RS999999", "courier": "sf", "tracking_no": "SF1234567890"})
        assert client.post("/api/returns/erp/callback", content=raw, headers=headers).status_code == 404

    def test_the_shops_reshipment_template_is_used_when_it_exists(self, session: Session) -> None:
        from aftersales.messaging.templates import save_template

        save_template(
            session,
            code="reshipment_notice",
            name="补发通知",
            body="补发已寄出:{{ reshipment_courier }} {{ reshipment_tracking_no }}",
        )
        reshipment = _reshipment(session, url="http://erp.example/push")
        reshipments.erp_callback(
            session,
            data=ErpCallbackIn(out_order_no=f"RS{reshipment.id}", courier="sf", tracking_no="SF5550001111"),
        )
        notice = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key.like(f"returns:reshipment:{reshipment.id}:shipped%")
            )
        )
        assert notice is not None
        assert notice.payload["text"] == "补发已寄出:顺丰速运 SF5550001111"


class TestPlatformWebhook:
    def test_signed_platform_push_creates_a_webhook_request(
        self, client: TestClient, session: Session
    ) -> None:
        order = make_order(session)
        shop = _shop(session, order)
        body = {
            "shop_code": shop.code,
            "order_no": order.source_id,
            "request_no": "TM-RF-1",
            "kind": "refund_only",
            "reason_code": "changed_mind",
        }
        raw = json.dumps(body).encode()
        headers = {SIGNATURE_HEADER: sign(raw, source_secret("tmall"), int(time.time()))}
        response = client.post("/api/returns/webhooks/tmall", content=raw, headers=headers)
        assert response.status_code == 201
        assert response.json()["channel"] == "webhook"

    def test_platform_push_signed_for_another_source_is_refused(
        self, client: TestClient, session: Session
    ) -> None:
        order = make_order(session)
        body = {
            "shop_code": _shop(session, order).code,
            "order_no": order.source_id,
            "kind": "return",
            "reason_code": "not_fit",
        }
        raw = json.dumps(body).encode()
        headers = {SIGNATURE_HEADER: sign(raw, source_secret("jd"), int(time.time()))}
        assert client.post("/api/returns/webhooks/tmall", content=raw, headers=headers).status_code == 401
