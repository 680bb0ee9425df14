"""抖店 and 拼多多: signatures as documented, incremental order and after-sale sync against local
gateways that check every request as the platforms do, back-off on throttling, credentials
refused for good, and an after-sale on a parcel in transit asking the courier to intercept it
exactly as a spreadsheet import (and the 淘宝 sync) does."""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import douyin, pdd, platform_sync, service, signing
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.logistics.models import Intercept
from aftersales.orders.models import Order, Shipment
from aftersales.returns.models import RefundState, ReturnRequest
from tests.builders import make_shop
from tests.builders.connectors import DOUYIN_CREDENTIALS, PDD_CREDENTIALS, make_platform_account
from tests.connectors import fake_douyin, fake_pdd
from tests.connectors.provider_server import ProviderServer, provider_server


@dataclass(frozen=True)
class Case:
    provider: str
    path: str
    make_fake: Callable[[], Any]
    order: Callable[..., dict[str, Any]]
    refund: Callable[..., dict[str, Any]]
    closed_status: int
    now: Any


CASES = {
    "douyin": Case(
        Provider.DOUYIN,
        "",
        lambda: fake_douyin.FakeDoudian(*DOUYIN_CREDENTIALS.values()),
        fake_douyin.order,
        fake_douyin.aftersale,
        28,
        fake_douyin.NOW,
    ),
    "pdd": Case(
        Provider.PDD,
        "/api/router",
        lambda: fake_pdd.FakePdd(*PDD_CREDENTIALS.values()),
        fake_pdd.order,
        fake_pdd.refund,
        11,
        fake_pdd.NOW,
    ),
}


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> Case:
    return CASES[request.param]


@pytest.fixture
def fake(case: Case) -> Any:
    return case.make_fake()


@pytest.fixture
def account(session: Session, case: Case, server: ProviderServer, shop: Shop) -> ConnectorAccount:
    return make_platform_account(session, provider=case.provider, endpoint=server.url + case.path, shop=shop)


def add_order(case: Case, fake: Any, number: str, **kwargs: Any) -> None:
    fake.orders.append(case.order(number, **kwargs))


def add_refund(case: Case, fake: Any, refund_id: str, number: str, **kwargs: Any) -> None:
    (fake.aftersales if case.provider == Provider.DOUYIN else fake.refunds).append(
        case.refund(refund_id, number, **kwargs)
    )


class TestSignatures:
    def test_douyin_hmac_sha256_over_the_documented_string(self) -> None:
        text = 'sapp_keyKmethodorder.searchListparam_json{"a":1}timestamp2026-12-01 12:00:00v2s'
        expected = hmac.new(b"s", text.encode(), hashlib.sha256).hexdigest()
        got = douyin.sign(
            app_key="K",
            secret="s",
            method="order.searchList",
            params='{"a":1}',
            timestamp="2026-12-01 12:00:00",
            sign_method="hmac-sha256",
        )
        assert got == expected

    def test_douyin_param_json_sorts_keys_without_spaces_and_keeps_chinese(self) -> None:
        assert douyin.param_json({"b": 1, "a": {"d": "中", "c": 2}}) == '{"a":{"c":2,"d":"中"},"b":1}'

    def test_pdd_wraps_the_sorted_parameters_in_the_secret(self) -> None:
        form = {"type": "pdd.order.number.list.increment.get", "client_id": "c", "timestamp": "1"}
        expected = hashlib.md5(b"Sclient_idctimestamp1typepdd.order.number.list.increment.getS").hexdigest()
        assert signing.wrapped_md5(form, "S") == expected.upper()


class TestSync:
    def test_orders_and_their_parcels_arrive(
        self, session: Session, case: Case, fake: Any, account: ConnectorAccount
    ) -> None:
        add_order(case, fake, "6900000000000001", shipped=True)
        add_order(case, fake, "6900000000000002")
        assert platform_sync.sync_account(session, account=account, now=case.now)["failed"] == 0
        numbers = session.scalars(select(Order.source_id).where(Order.shop_id == account.shop_id)).all()
        assert sorted(numbers) == ["6900000000000001", "6900000000000002"]
        stored = session.scalar(select(Order).where(Order.source_id == "6900000000000001"))
        assert stored is not None
        assert stored.paid_fen == 39900
        parcel = session.scalar(select(Shipment).where(Shipment.order_id == stored.id))
        assert parcel is not None
        assert (parcel.courier, parcel.tracking_no) == ("zto", "731000000001")

    def test_windows_never_exceed_the_platforms_limit_and_the_cursor_reaches_now(
        self, session: Session, case: Case, fake: Any, account: ConnectorAccount
    ) -> None:
        platform_sync.sync_account(session, account=account, now=case.now)
        limit = 1800 if case.provider == Provider.PDD else 86400
        assert fake.windows
        assert all(high - low <= limit for _, low, high in fake.windows)
        assert account.cursor["refunds"] == (case.now - platform_sync.LAG).isoformat()

    def test_throttling_backs_off_and_keeps_the_cursor(
        self, session: Session, case: Case, fake: Any, account: ConnectorAccount
    ) -> None:
        add_order(case, fake, "6900000000000003")
        fake.throttle_next = 1
        assert platform_sync.sync_account(session, account=account, now=case.now)["failed"] == 1
        assert account.next_sync_at is not None
        assert account.cursor.get("trades") is None
        assert platform_sync.sync_account(session, account=account, now=account.next_sync_at)["trades"] == 1

    def test_a_wrong_token_is_refused_for_good(
        self, session: Session, case: Case, fake: Any, account: ConnectorAccount
    ) -> None:
        fake.token = "another"
        with pytest.raises(ProviderError) as refused:
            service.test_connection(session, account=account)
        assert refused.value.retry is False
        assert account.error_count == 1

    def test_test_connection_succeeds_with_the_stored_credentials(
        self, session: Session, account: ConnectorAccount
    ) -> None:
        assert service.test_connection(session, account=account).startswith("凭证有效")


class TestRefunds:
    def test_an_after_sale_on_a_parcel_in_transit_holds_the_refund_for_interception(
        self, session: Session, case: Case, fake: Any, account: ConnectorAccount
    ) -> None:
        add_order(case, fake, "6900000000000010", shipped=True, hours_ago=20)
        add_refund(case, fake, "91000010", "6900000000000010")
        platform_sync.sync_account(session, account=account, now=case.now)
        request = session.scalar(select(ReturnRequest).where(ReturnRequest.source_id == "91000010"))
        assert request is not None
        assert (request.refund_fen, request.refund_state) == (39900, RefundState.HELD_FOR_INTERCEPT)
        assert session.scalar(select(Intercept).where(Intercept.refund_request_id == request.id)) is not None

    def test_the_same_after_sale_twice_is_one_request(
        self, session: Session, case: Case, fake: Any, account: ConnectorAccount
    ) -> None:
        add_order(case, fake, "6900000000000011", shipped=True, hours_ago=20)
        add_refund(case, fake, "91000011", "6900000000000011")
        platform_sync.sync_account(session, account=account, now=case.now)
        platform_sync.backfill(session, account=account, days=1, now=case.now)
        platform_sync.sync_account(session, account=account, now=case.now)
        found = session.scalars(select(ReturnRequest).where(ReturnRequest.source_id == "91000011")).all()
        assert len(found) == 1

    def test_a_closed_after_sale_opens_nothing(
        self, session: Session, case: Case, fake: Any, account: ConnectorAccount
    ) -> None:
        add_order(case, fake, "6900000000000012", shipped=True, hours_ago=20)
        add_refund(case, fake, "91000012", "6900000000000012", status=case.closed_status)
        assert platform_sync.sync_account(session, account=account, now=case.now)["refunds"] == 0


def test_backfill_reaches_back_in_the_platforms_windows(session: Session) -> None:
    """A 2-day backfill of 拼多多 is read in 30-minute windows, up to the per-run cap."""
    shop = make_shop(session)
    fake = fake_pdd.FakePdd(*PDD_CREDENTIALS.values())
    with provider_server(fake) as running:
        account = make_platform_account(
            session, provider=Provider.PDD, endpoint=running.url + "/api/router", shop=shop
        )
        platform_sync.backfill(session, account=account, days=2, now=fake_pdd.NOW)
        platform_sync.sync_account(session, account=account, now=fake_pdd.NOW)
    order_windows = [w for w in fake.windows if w[0] == pdd.ORDERS]
    assert len(order_windows) == 96
    assert order_windows[0][1] == int((fake_pdd.NOW - timedelta(days=2)).timestamp())
