"""淘宝/天猫 TOP: the signature against the document's example, incremental sync of trades and
refunds against a local gateway that checks requests as TOP does, back-off, backfill, and a
refund that asks the courier to intercept exactly as a spreadsheet import does."""

import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from aftersales.auth.models import Role
from aftersales.catalog.models import Shop
from aftersales.cli import app
from aftersales.connectors import platform_sync, service, taobao
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.logistics.models import Intercept
from aftersales.orders.models import Order, OrderItem, OrderStatus, Shipment
from aftersales.returns.models import RefundState, ReturnRequest
from tests.builders.connectors import TOP_CREDENTIALS, make_taobao_account
from tests.connectors.fake_taobao import NOW, FakeTop, refund, trade
from tests.connectors.provider_server import ProviderServer


@pytest.fixture
def fake() -> FakeTop:
    return FakeTop(
        app_key=TOP_CREDENTIALS["app_key"],
        secret=TOP_CREDENTIALS["app_secret"],
        session=TOP_CREDENTIALS["session"],
    )


@pytest.fixture
def account(session: Session, server: ProviderServer, shop: Shop) -> ConnectorAccount:
    return make_taobao_account(session, endpoint=server.url + "/router/rest", shop=shop)


def order_of(session: Session, tid: str) -> Order | None:
    return session.scalar(select(Order).where(Order.source_id == tid))


class TestSignature:
    def test_signs_the_documents_example_to_its_published_signature(self) -> None:
        """TOP "API调用方法详解", 签名算法 example (md5)."""
        params = {
            "method": "taobao.item.seller.get",
            "app_key": "12345678",
            "session": "test",
            "timestamp": "2016-01-01 12:00:00",
            "format": "json",
            "v": "2.0",
            "sign_method": "md5",
            "fields": "num_iid,title,nick,price,num",
            "num_iid": "11223344",
        }
        assert taobao.sign(params, "helloworld") == "66987CB115214E59E6EC978214934FB8"

    def test_hmac_signs_with_the_secret_as_key_and_skips_empty_values(self) -> None:
        expected = hmac.new(b"s", b"a1c3", hashlib.md5).hexdigest().upper()
        assert taobao.sign({"a": "1", "b": "", "c": "3"}, "s", "hmac") == expected


class TestTradeSync:
    def test_new_trades_become_orders_with_items_and_parcels(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.trades = [trade("3300000000000001"), trade("3300000000000002", shipped=True)]
        counts = platform_sync.sync_account(session, account=account, now=NOW)
        assert (counts["trades"], counts["failed"]) == (2, 0)
        paid, shipped = order_of(session, "3300000000000001"), order_of(session, "3300000000000002")
        assert paid is not None
        assert shipped is not None
        assert (paid.status, paid.paid_fen, paid.receiver_phone) == (OrderStatus.PAID, 39900, "13912345678")
        items = session.scalars(select(OrderItem.sku_code).where(OrderItem.order_id == paid.id)).all()
        assert items == ["EAR-BLK"]
        parcels = session.scalars(select(Shipment.courier).where(Shipment.order_id == shipped.id)).all()
        assert parcels == ["zto"]

    def test_reads_in_windows_of_at_most_a_day_and_moves_the_cursor(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        platform_sync.backfill(session, account=account, days=3, now=NOW)
        platform_sync.sync_account(session, account=account, now=NOW)
        trade_windows = [w for w in fake.windows if w[0] == taobao.TRADES]
        assert len(trade_windows) == 3
        assert account.cursor["trades"] == (NOW - platform_sync.LAG).isoformat()

    def test_pages_through_a_busy_window(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.trades = [trade(f"33000000000{n:05d}") for n in range(150)]
        counts = platform_sync.sync_account(session, account=account, now=NOW)
        assert counts["trades"] == 150
        assert session.scalar(select(func.count(Order.id))) == 150

    def test_a_second_sync_reads_only_what_changed_since(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.trades = [trade("3300000000000001")]
        platform_sync.sync_account(session, account=account, now=NOW)
        assert (
            platform_sync.sync_account(session, account=account, now=NOW + timedelta(minutes=5))["trades"]
            == 0
        )

    def test_throttling_backs_off_and_keeps_the_cursor(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.throttle_next = 1
        fake.trades = [trade("3300000000000001")]
        assert platform_sync.sync_account(session, account=account, now=NOW)["failed"] == 1
        assert account.cursor.get("trades") is None
        assert account.next_sync_at is not None
        assert account.next_sync_at > NOW
        assert "App Call Limited" in (account.last_error or "")
        assert platform_sync.due_accounts(session, now=NOW) == []
        platform_sync.sync_account(session, account=account, now=account.next_sync_at)
        assert order_of(session, "3300000000000001") is not None

    def test_backfill_never_moves_a_cursor_forward(self, session: Session, account: ConnectorAccount) -> None:
        account.cursor = {"trades": (NOW - timedelta(days=10)).isoformat()}
        platform_sync.backfill(session, account=account, days=2, now=NOW)
        assert account.cursor["trades"] == (NOW - timedelta(days=10)).isoformat()
        assert account.cursor["refunds"] == (NOW - timedelta(days=2)).isoformat()


class TestRefundSync:
    def test_a_refund_on_a_parcel_in_transit_asks_the_courier_to_intercept(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.trades = [trade("3300000000000009", shipped=True, hours_ago=20)]
        fake.refunds = [refund("88000001", "3300000000000009")]
        counts = platform_sync.sync_account(session, account=account, now=NOW)
        assert counts["refunds"] == 1
        request = session.scalar(select(ReturnRequest).where(ReturnRequest.source_id == "88000001"))
        assert request is not None
        assert request.refund_state == RefundState.HELD_FOR_INTERCEPT
        intercepts = session.scalars(select(Intercept).where(Intercept.refund_request_id == request.id)).all()
        assert len(intercepts) == 1

    def test_the_same_refund_twice_is_one_request(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.trades = [trade("3300000000000009")]
        fake.refunds = [refund("88000001", "3300000000000009")]
        platform_sync.sync_account(session, account=account, now=NOW)
        platform_sync.backfill(session, account=account, days=1, now=NOW)
        platform_sync.sync_account(session, account=account, now=NOW)
        assert session.scalar(select(func.count(ReturnRequest.id))) == 1

    def test_a_refund_the_buyer_cancelled_is_skipped(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.trades = [trade("3300000000000009")]
        fake.refunds = [refund("88000001", "3300000000000009", status="CLOSED")]
        assert platform_sync.sync_account(session, account=account, now=NOW)["refunds"] == 0

    def test_a_refund_for_an_unknown_order_is_reported_and_the_rest_kept(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.trades = [trade("3300000000000009")]
        fake.refunds = [refund("88000001", "NOT-SYNCED"), refund("88000002", "3300000000000009")]
        assert platform_sync.sync_account(session, account=account, now=NOW)["refunds"] == 1
        assert "88000001" in (account.last_error or "")


class TestConnectionCheck:
    def test_names_the_authorised_shop(self, session: Session, account: ConnectorAccount) -> None:
        assert service.test_connection(session, account=account) == "凭证有效,授权店铺 好物旗舰店"

    def test_a_wrong_secret_is_refused_by_the_gateway(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.secret = "rotated"
        with pytest.raises(ProviderError, match="Invalid signature") as raised:
            service.test_connection(session, account=account)
        assert raised.value.retry is False


class TestOperatorTools:
    def test_a_platform_connection_needs_a_shop(self, session: Session) -> None:
        with pytest.raises(InvalidInputError, match="店铺"):
            service.save_account(
                session, provider="taobao", shop_code=None, credentials=dict(TOP_CREDENTIALS)
            )

    def test_the_cli_backfills_and_syncs_at_once(
        self, session: Session, fake: FakeTop, account: ConnectorAccount, shop: Shop
    ) -> None:
        fake.trades = [trade("3300000000000021", hours_ago=24 * 4)]
        session.commit()
        result = CliRunner().invoke(
            app, ["connect", "backfill", "taobao", "--shop", shop.code, "--days", "5"]
        )
        assert result.exit_code == 0, result.output
        assert "订单 1 笔" in result.output

    def test_the_console_backfill_moves_the_cursors_back(
        self,
        session: Session,
        client: TestClient,
        auth_headers: Callable[..., dict[str, str]],
        account: ConnectorAccount,
    ) -> None:
        page = client.post(
            f"/console/connectors/accounts/{account.id}/backfill",
            data={"days": "30"},
            headers=auth_headers(Role.ADMIN),
        ).text
        session.refresh(account)
        assert "已安排补拉最近 30 天" in page
        assert datetime.fromisoformat(account.cursor["trades"]) < utcnow() - timedelta(days=29)


class TestMalformedTrades:
    def test_a_trade_our_schema_refuses_is_reported_and_the_rest_stored(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.trades = [trade("3300000000000001", buyer_nick="x" * 300), trade("3300000000000002")]
        assert platform_sync.sync_account(session, account=account, now=NOW)["trades"] == 1
        assert "3300000000000001" in (account.last_error or "")
