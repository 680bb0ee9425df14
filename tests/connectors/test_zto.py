"""中通: the digest as documented, an interception requested for real at a local 中通 that checks
the request as ZOP does (and records the answer on the intercept), idempotency by our reference,
refusals, throttling and credentials in the health record."""

import base64
import hashlib
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import service, zto
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
from tests.builders import make_order, make_parcel
from tests.builders.connectors import ZTO_CREDENTIALS, make_zto_account
from tests.connectors.fake_zto import FakeZto, zop_digest
from tests.connectors.provider_server import ProviderServer

NOW = utcnow().replace(microsecond=0)


@pytest.fixture(autouse=True)
def zto_adapter() -> Iterator[None]:
    """Another test may have put its own ``zto`` courier in place and taken it away."""
    register_courier("zto", zto.ZtoCourier())
    yield
    unregister_courier("zto")


@pytest.fixture
def fake() -> FakeZto:
    return FakeZto(*ZTO_CREDENTIALS.values())


@pytest.fixture
def account(session: Session, server: ProviderServer, shop: Shop) -> ConnectorAccount:
    return make_zto_account(session, endpoint=server.url, shop=shop)


def intercept_for(session: Session, shop: Shop, waybill: str = "73100130019486") -> Intercept:
    order = make_order(session, shop=shop)
    parcel = make_parcel(
        session, order=order, courier="zto", tracking_no=waybill, shipped_at=NOW - timedelta(hours=20)
    )
    [intercept] = intercepts.request_intercepts(
        session, order_id=parcel.order_id, refund_request_id=77, refund_requested_at=NOW, now=NOW
    )
    return intercept


def test_digest_is_base64_md5_of_the_body_and_the_secret_in_utf8() -> None:
    body = '{"billCode":"73100130019486","receiveCity":"上海市"}'
    expected = base64.b64encode(hashlib.md5(body.encode() + b"zto-secret").digest()).decode()
    assert zto.digest(body, "zto-secret") == expected
    assert zop_digest(body.encode(), "zto-secret") == expected


class TestIntercept:
    def test_an_accepted_interception_goes_back_to_the_shops_return_address(
        self, session: Session, shop: Shop, fake: FakeZto, account: ConnectorAccount
    ) -> None:
        intercept = intercepts.submit(session, intercept_id=intercept_for(session, shop).id, now=NOW)
        assert (intercept.status, intercept.courier_ref) == (InterceptStatus.ACCEPTED, "LJ00000001")
        [sent] = fake.intercepts.values()
        assert (sent["destinationType"], sent["receiveDistrict"], sent["thirdBizNo"]) == (
            4,
            "青浦区",
            f"IC{intercept.id}",
        )
        assert account.success_count == 1

    def test_without_a_return_address_the_parcel_goes_back_to_the_sender(
        self, session: Session, shop: Shop, fake: FakeZto, server: ProviderServer
    ) -> None:
        make_zto_account(session, endpoint=server.url, shop=shop, return_address="")
        intercepts.submit(session, intercept_id=intercept_for(session, shop).id, now=NOW)
        [sent] = fake.intercepts.values()
        assert (sent["destinationType"], "receiveAddress" in sent) == (2, False)

    def test_the_same_reference_is_one_interception_at_zto(
        self, session: Session, shop: Shop, fake: FakeZto, account: ConnectorAccount
    ) -> None:
        context = CourierContext(session, shop.id, "IC42")
        for _ in range(2):
            reply = zto.ZtoCourier().request_intercept(
                courier="zto", tracking_no="73100130019486", parcel_status=None, now=NOW, context=context
            )
            assert reply.courier_ref == "LJ00000001"
        assert list(fake.intercepts) == ["IC42"]

    def test_a_refusal_fails_the_intercept_with_the_networks_reason(
        self, session: Session, shop: Shop, fake: FakeZto, account: ConnectorAccount
    ) -> None:
        fake.refuse.add("73100130019999")
        intercept = intercepts.submit(
            session, intercept_id=intercept_for(session, shop, "73100130019999").id, now=NOW
        )
        assert intercept.status == InterceptStatus.FAILED
        assert "已派件" in (intercept.detail or "")

    def test_throttling_leaves_the_intercept_for_the_job_to_retry(
        self, session: Session, shop: Shop, fake: FakeZto, account: ConnectorAccount
    ) -> None:
        fake.throttle_next = 1
        intercept = intercept_for(session, shop)
        with pytest.raises(CourierUnavailableError):
            intercepts.submit(session, intercept_id=intercept.id, now=NOW)
        assert intercept.status == InterceptStatus.REQUESTED
        assert "S206" in (account.last_error or "")

    def test_a_wrong_secret_is_kept_in_the_health_record(
        self, session: Session, shop: Shop, fake: FakeZto, account: ConnectorAccount
    ) -> None:
        fake.app_secret = "another"
        intercept = intercepts.submit(session, intercept_id=intercept_for(session, shop).id, now=NOW)
        assert intercept.status == InterceptStatus.FAILED
        assert "S211" in (account.last_error or "")
        assert fake.intercepts == {}

    def test_a_shop_without_an_account_keeps_the_simulated_courier(
        self, session: Session, shop: Shop, fake: FakeZto
    ) -> None:
        intercept = intercepts.submit(session, intercept_id=intercept_for(session, shop).id, now=NOW)
        assert intercept.status in (InterceptStatus.ACCEPTED, InterceptStatus.FAILED)
        assert fake.intercepts == {}


def test_an_accepted_interception_waits_for_tracking_to_settle_it(
    session: Session, shop: Shop, fake: FakeZto, account: ConnectorAccount
) -> None:
    intercepts.submit(session, intercept_id=intercept_for(session, shop).id, now=NOW)
    assert intercepts.poll(session, now=NOW + timedelta(days=10)) == {
        "returned": 0,
        "failed": 0,
        "pending": 1,
    }


def test_test_connection_proves_the_credentials(session: Session, account: ConnectorAccount) -> None:
    assert service.test_connection(session, account=account).startswith("凭证有效")
