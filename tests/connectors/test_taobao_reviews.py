"""淘宝 reviews against the local TOP gateway: the rates buyers gave the shop read window by window
(``taobao.traderates.get``, signed, paged by 150, throttled with back-off) into the reviews
intake, idempotent by sub-order; and the seller's explanation (``taobao.traderate.explain.add``)
as the review-reply channel's delivery for a shop connected to 淘宝, the recorded client otherwise."""

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import platform_sync, taobao
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount
from aftersales.messaging import customer_channels
from aftersales.messaging.channels import DeliveryError, get_channel
from aftersales.messaging.customer_channels import use_recorder
from aftersales.messaging.models import OutboxMessage
from aftersales.reviews import channels
from aftersales.reviews.models import Review, Triage
from tests.builders import make_shop
from tests.builders.connectors import TOP_CREDENTIALS, make_taobao_account
from tests.connectors.fake_taobao import NOW, FakeTop, rate, top_sign, trade
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


def reviews_of(session: Session, shop: Shop) -> dict[str, Review]:
    return {r.source_id: r for r in session.scalars(select(Review).where(Review.shop_id == shop.id))}


def rate_calls(server: ProviderServer) -> list[dict[str, str]]:
    return [call.form for call in server.calls if call.form.get("method") == taobao.RATES]


class TestRateSync:
    def test_rates_become_reviews_with_the_stars_of_their_result(
        self, session: Session, fake: FakeTop, account: ConnectorAccount, shop: Shop
    ) -> None:
        fake.trades = [trade("3300000000000901")]
        fake.rates = [
            rate("33000000000009011", "3300000000000901", result="good", content="音质很好,物流很快"),
            rate("33000000000009021", "3300000000000902", result="neutral", content="一般"),
            rate("33000000000009031", "3300000000000903", result="bad", content="用了两天就坏了"),
        ]
        assert platform_sync.sync_account(session, account=account, now=NOW)["reviews"] == 3
        found = reviews_of(session, shop)
        assert {oid: r.stars for oid, r in found.items()} == {
            "33000000000009011": 5,
            "33000000000009021": 3,
            "33000000000009031": 1,
        }
        good = found["33000000000009011"]
        assert (good.order_no, good.text, good.order_id is not None) == (
            "3300000000000901",
            "音质很好,物流很快",
            True,
        )

    def test_the_request_asks_for_the_rates_buyers_gave_in_the_window(
        self, session: Session, server: ProviderServer, account: ConnectorAccount
    ) -> None:
        platform_sync.sync_account(session, account=account, now=NOW)
        form = rate_calls(server)[-1]
        assert (form["rate_type"], form["role"], form["page_size"], form["use_has_next"]) == (
            "get",
            "buyer",
            "150",
            "true",
        )
        assert form["end_date"] == taobao.local_time(NOW - platform_sync.LAG)
        assert form["sign"] == top_sign(form, TOP_CREDENTIALS["app_secret"], "md5")

    def test_a_full_page_is_followed_by_the_next(
        self, session: Session, server: ProviderServer, fake: FakeTop, account: ConnectorAccount, shop: Shop
    ) -> None:
        fake.rates = [rate(f"3400000000{n:05d}", f"34000000{n:05d}", hours_ago=2) for n in range(160)]
        platform_sync.sync_account(session, account=account, now=NOW)
        assert [form["page_no"] for form in rate_calls(server)] == ["1", "2"]
        assert len(reviews_of(session, shop)) == 160

    def test_rates_read_again_are_the_same_reviews(
        self, session: Session, fake: FakeTop, account: ConnectorAccount, shop: Shop
    ) -> None:
        fake.rates = [rate("33000000000009041", "3300000000000904", result="bad", content="做工差")]
        platform_sync.sync_account(session, account=account, now=NOW)
        platform_sync.backfill(session, account=account, days=1, now=NOW)
        platform_sync.sync_account(session, account=account, now=NOW)
        assert list(reviews_of(session, shop)) == ["33000000000009041"]

    def test_throttling_backs_off_and_keeps_the_reviews_cursor(
        self, session: Session, fake: FakeTop, account: ConnectorAccount
    ) -> None:
        fake.rates = [rate("33000000000009051", "3300000000000905")]
        fake.throttle_next, fake.throttle_method = 1, taobao.RATES
        assert platform_sync.sync_account(session, account=account, now=NOW)["failed"] == 1
        assert (account.cursor.get("refunds") is not None, account.cursor.get("reviews")) == (True, None)
        assert account.next_sync_at is not None
        assert platform_sync.sync_account(session, account=account, now=account.next_sync_at)["reviews"] == 1

    def test_a_bad_rate_is_triaged_negative_and_opens_a_ticket(
        self, session: Session, fake: FakeTop, account: ConnectorAccount, shop: Shop
    ) -> None:
        fake.rates = [
            rate("33000000000009061", "3300000000000906", result="bad", content="快递太慢,包装破了")
        ]
        platform_sync.sync_account(session, account=account, now=NOW)
        review = reviews_of(session, shop)["33000000000009061"]
        assert review.triage == Triage.NEGATIVE
        assert review.ticket_id is not None


def reply_message(session: Session, shop: Shop, oid: str, text: str) -> OutboxMessage:
    message = OutboxMessage(
        channel=channels.CHANNEL,
        destination=channels.reply_destination("tmall", shop.code, oid),
        payload={"text": text},
        idempotency_key=f"reviews:reply:test-{oid}",
    )
    session.add(message)
    session.flush()
    return message


class TestExplanation:
    def test_a_connected_shops_reply_is_the_sellers_explanation_at_top(
        self, session: Session, server: ProviderServer, fake: FakeTop, account: ConnectorAccount, shop: Shop
    ) -> None:
        fake.rates = [rate("33000000000009071", "3300000000000907", result="bad")]
        get_channel(channels.CHANNEL).send(
            reply_message(session, shop, "33000000000009071", "抱歉,已为您补发")
        )
        assert fake.explanations == [{"oid": "33000000000009071", "reply": "抱歉,已为您补发"}]
        [call] = server.calls
        assert call.form["method"] == taobao.EXPLAIN
        assert call.form["sign"] == top_sign(call.form, TOP_CREDENTIALS["app_secret"], "md5")

    def test_a_refused_explanation_is_a_delivery_error_for_the_outbox_to_retry(
        self, session: Session, fake: FakeTop, account: ConnectorAccount, shop: Shop
    ) -> None:
        with pytest.raises(DeliveryError, match="子订单不存在"):
            get_channel(channels.CHANNEL).send(reply_message(session, shop, "39999999999999999", "谢谢"))
        assert account.last_error is not None

    def test_a_reply_over_500_characters_is_refused_before_calling_top(
        self, server: ProviderServer, account: ConnectorAccount
    ) -> None:
        with pytest.raises(ProviderError) as refused:
            taobao.explain_rate(account, oid="33000000000009071", text="好" * 501)
        assert (refused.value.retry, server.calls) == (False, [])

    def test_a_shop_without_a_taobao_account_keeps_the_recorded_client(
        self, session: Session, server: ProviderServer, account: ConnectorAccount, tmp_path: Path
    ) -> None:
        previous = customer_channels.recorder()
        local = use_recorder(tmp_path / "outbound")
        try:
            other = make_shop(session)
            get_channel(channels.CHANNEL).send(reply_message(session, other, "33000000000009081", "谢谢支持"))
        finally:
            customer_channels._recorder = previous
        assert [r["text"] for r in local.records(channels.CHANNEL)] == ["谢谢支持"]
        assert server.calls == []
