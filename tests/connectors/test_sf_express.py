"""顺丰丰桥: the digest as documented, an interception requested for real at a local 丰桥 that
checks the request as 顺丰 does (and records the answer on the intercept), refusals, throttling
and credentials in the health record, and return pickups booked with a return waybill."""

import base64
import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import service, sf_express
from aftersales.connectors.models import ConnectorAccount
from aftersales.kit.time import utcnow
from aftersales.logistics import intercepts
from aftersales.logistics.couriers import (
    CourierContext,
    CourierUnavailableError,
    register_courier,
    unregister_courier,
)
from aftersales.logistics.models import Intercept, InterceptStatus
from aftersales.orders.models import Order
from tests.builders import make_order, make_parcel
from tests.builders.connectors import SF_CREDENTIALS, make_sf_account
from tests.connectors.fake_sf import FakeSf, sf_digest
from tests.connectors.provider_server import ProviderServer

NOW = utcnow().replace(microsecond=0)


@pytest.fixture(autouse=True)
def sf_adapter() -> Iterator[None]:
    """Another test may have put its own ``sf`` courier in place and taken it away."""
    register_courier("sf", sf_express.SfExpressCourier())
    yield
    unregister_courier("sf")


@pytest.fixture
def fake() -> FakeSf:
    return FakeSf(*SF_CREDENTIALS.values())


@pytest.fixture
def account(session: Session, server: ProviderServer, shop: Shop) -> ConnectorAccount:
    return make_sf_account(session, endpoint=server.url + "/std/service", shop=shop)


def intercept_for(session: Session, shop: Shop, waybill: str = "SF1234567890123") -> Intercept:
    order = make_order(session, shop=shop)
    parcel = make_parcel(
        session, order=order, courier="sf", tracking_no=waybill, shipped_at=NOW - timedelta(hours=20)
    )
    [intercept] = intercepts.request_intercepts(
        session, order_id=parcel.order_id, refund_request_id=77, refund_requested_at=NOW, now=NOW
    )
    return intercept


def test_digest_is_base64_md5_of_the_java_url_encoded_text() -> None:
    encoded = b"%7B%22k%22%3A%22%E9%80%80+%E5%9B%9E%22%7D1700000000000cw*%7E"
    expected = base64.b64encode(hashlib.md5(encoded).digest()).decode()
    assert sf_express.digest('{"k":"退 回"}', "1700000000000", "cw*~") == expected
    assert sf_digest('{"k":"退 回"}', "1700000000000", "cw*~") == expected


class TestIntercept:
    def test_an_accepted_interception_is_recorded_with_the_return_address(
        self, session: Session, shop: Shop, fake: FakeSf, account: ConnectorAccount
    ) -> None:
        intercept = intercepts.submit(session, intercept_id=intercept_for(session, shop).id, now=NOW)
        assert (intercept.status, intercept.courier_ref) == (InterceptStatus.ACCEPTED, "SF1234567890123")
        [sent] = fake.intercepts
        assert (sent["serviceCode"], sent["monthlyCardNo"], sent["newDestAddress"]["county"]) == (
            "2",
            "7550000000",
            "南山区",
        )
        assert account.success_count == 1

    def test_a_refusal_fails_the_intercept_with_the_networks_reason(
        self, session: Session, shop: Shop, fake: FakeSf, account: ConnectorAccount
    ) -> None:
        fake.refuse_intercepts.add("SF1234567890999")
        intercept = intercepts.submit(
            session, intercept_id=intercept_for(session, shop, "SF1234567890999").id, now=NOW
        )
        assert intercept.status == InterceptStatus.FAILED
        assert "快件已派送" in (intercept.detail or "")

    def test_throttling_leaves_the_intercept_for_the_job_to_retry(
        self, session: Session, shop: Shop, fake: FakeSf, account: ConnectorAccount
    ) -> None:
        fake.throttle_next = 1
        intercept = intercept_for(session, shop)
        with pytest.raises(CourierUnavailableError):
            intercepts.submit(session, intercept_id=intercept.id, now=NOW)
        assert intercept.status == InterceptStatus.REQUESTED
        assert "A1005" in (account.last_error or "")

    def test_a_wrong_checkword_is_kept_in_the_health_record(
        self, session: Session, shop: Shop, fake: FakeSf, account: ConnectorAccount
    ) -> None:
        fake.checkword = "another"
        intercept = intercepts.submit(session, intercept_id=intercept_for(session, shop).id, now=NOW)
        assert intercept.status == InterceptStatus.FAILED
        assert "A1006" in (account.last_error or "")
        assert fake.intercepts == []

    def test_a_shop_without_an_account_keeps_the_simulated_courier(
        self, session: Session, shop: Shop, fake: FakeSf
    ) -> None:
        intercept = intercepts.submit(session, intercept_id=intercept_for(session, shop).id, now=NOW)
        assert intercept.status in (InterceptStatus.ACCEPTED, InterceptStatus.FAILED)
        assert fake.intercepts == []


class TestPickup:
    def book(self, session: Session, order: Order) -> object:
        context = CourierContext(session, order.shop_id, "PR9", "张三", "13912345678")
        return sf_express.SfExpressCourier().book_pickup(
            courier="sf",
            address="浙江省 杭州市 西湖区 文三路 100号",
            slot_start=NOW + timedelta(days=1),
            slot_end=NOW + timedelta(days=1, hours=2),
            now=NOW,
            context=context,
        )

    def test_a_pickup_is_booked_with_a_return_waybill(
        self, session: Session, shop: Shop, fake: FakeSf, account: ConnectorAccount
    ) -> None:
        reply = self.book(session, make_order(session, shop=shop))
        assert (reply.outcome, reply.tracking_no) == ("booked", "SF1400000000001")  # type: ignore[attr-defined]
        [order] = fake.orders
        assert (order["isDocall"], order["contactInfoList"][0]["mobile"], order["orderId"]) == (
            1,
            "13912345678",
            "PR9",
        )

    def test_an_address_out_of_range_is_refused(
        self, session: Session, shop: Shop, fake: FakeSf, account: ConnectorAccount
    ) -> None:
        fake.not_serviceable = True
        reply = self.book(session, make_order(session, shop=shop))
        assert reply.outcome == "refused"  # type: ignore[attr-defined]
        assert "超范围" in reply.detail  # type: ignore[attr-defined]


def test_test_connection_proves_the_credentials(session: Session, account: ConnectorAccount) -> None:
    assert service.test_connection(session, account=account).startswith("凭证有效")
