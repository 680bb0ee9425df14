"""商品推荐 found at ingest and 跟单 of unpaid orders, and what counts as converted: hand-counted."""

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop, Sku
from aftersales.conversations import conversion, followups, recommendations
from aftersales.conversations.errors import OrderNotUnpaidError, SkuNotInShopError
from aftersales.conversations.models import (
    ChatSession,
    FollowUpMode,
    ProductRecommendation,
    RecommendationSource,
)
from aftersales.conversations.schemas import WindowsIn
from aftersales.kit.upsert import insert_ignore
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Customer, Order, OrderStatus
from tests.builders import (
    make_chat,
    make_customer,
    make_order,
    make_order_item,
    make_shop,
    make_sku,
    make_user,
)

T0 = datetime(2026, 11, 11, 2, 0, tzinfo=UTC)


def _recommendation_chat(
    session: Session, shop: Shop, buyer: Customer, text: str, *, at: datetime = T0
) -> ChatSession:
    agent = make_user(session)
    return make_chat(
        session,
        [("customer", 0, "有什么推荐的吗"), ("agent", 10, text)],
        shop=shop,
        start=at,
        agent_id=agent.id,
        customer_account=buyer.source_id,
    )


def _recommended(session: Session, chat: ChatSession) -> list[str]:
    query = select(ProductRecommendation.sku_code).where(ProductRecommendation.session_id == chat.id)
    return sorted(session.scalars(query))


def _buy(session: Session, shop: Shop, buyer: Customer, sku: Sku, at: datetime, **fields: object) -> Order:
    order = make_order(session, shop=shop, customer=buyer, ordered_at=at, paid_at=at, **fields)
    make_order_item(session, order=order, sku_code=sku.code, quantity=2, unit_price_fen=5000)
    return order


class TestDetection:
    def test_an_agent_message_naming_a_sku_code_records_the_recommendation(self, session: Session) -> None:
        shop = make_shop(session)
        sku = make_sku(session, shop=shop, code="HT-BLANKET")
        chat = _recommendation_chat(
            session, shop, make_customer(session, shop=shop), "推荐 HT-BLANKET,很暖和"
        )
        assert _recommended(session, chat) == [sku.code]

    def test_the_recommendation_keeps_agent_buyer_sku_and_time(self, session: Session) -> None:
        shop = make_shop(session)
        make_sku(session, shop=shop, code="HT-BLANKET")
        buyer = make_customer(session, shop=shop)
        chat = _recommendation_chat(session, shop, buyer, "推荐 HT-BLANKET")
        row = session.scalar(select(ProductRecommendation).where(ProductRecommendation.session_id == chat.id))
        assert row is not None
        assert (row.agent_id, row.customer_id, row.recommended_at, row.source) == (
            chat.agent_id,
            buyer.id,
            T0 + timedelta(seconds=10),
            RecommendationSource.DETECTED,
        )

    def test_a_sku_name_and_a_link_carrying_the_code_are_found(self, session: Session) -> None:
        shop = make_shop(session)
        make_sku(session, shop=shop, code="8812345", name="加厚珊瑚绒毛毯")
        make_sku(session, shop=shop, code="DG-MOUSE", name="鼠标")
        text = "这款加厚珊瑚绒毛毯不错,还有 https://detail.tmall.com/item.htm?id=8812345 和 DG-MOUSE 看看"
        chat = _recommendation_chat(session, shop, make_customer(session, shop=shop), text)
        assert _recommended(session, chat) == ["8812345", "DG-MOUSE"]

    def test_a_code_inside_a_longer_code_and_a_short_name_are_not_matches(self, session: Session) -> None:
        shop = make_shop(session)
        make_sku(session, shop=shop, code="DG-MOUSE", name="鼠标")
        chat = _recommendation_chat(
            session, shop, make_customer(session, shop=shop), "DG-MOUSE2 鼠标垫已到货"
        )
        assert _recommended(session, chat) == []

    def test_another_shops_sku_and_the_customers_words_are_not_recommendations(
        self, session: Session
    ) -> None:
        shop, other = make_shop(session), make_shop(session)
        make_sku(session, shop=other, code="OTHER-1")
        make_sku(session, shop=shop, code="HT-1")
        buyer = make_customer(session, shop=shop)
        chat = make_chat(
            session,
            [("customer", 0, "HT-1 怎么样"), ("agent", 5, "OTHER-1 也可以")],
            shop=shop,
            start=T0,
            agent_id=make_user(session).id,
            customer_account=buyer.source_id,
        )
        assert _recommended(session, chat) == []

    def test_a_sku_of_the_chats_own_order_is_not_a_recommendation(self, session: Session) -> None:
        shop = make_shop(session)
        sku = make_sku(session, shop=shop, code="HT-1")
        order = _buy(session, shop, make_customer(session, shop=shop), sku, T0 - timedelta(days=2))
        chat = make_chat(session, [("agent", 0, "您的 HT-1 已发货")], shop=shop, start=T0, order_id=order.id)
        assert _recommended(session, chat) == []

    def test_naming_a_sku_twice_in_a_chat_is_one_recommendation_at_the_first_mention(
        self, session: Session
    ) -> None:
        shop = make_shop(session)
        make_sku(session, shop=shop, code="HT-1")
        chat = _recommendation_chat(session, shop, make_customer(session, shop=shop), "HT-1 推荐")
        make_chat(
            session, [("agent", 60, "再说一次 HT-1")], shop=shop, start=T0, session_key=chat.session_key
        )
        rows = session.scalars(
            select(ProductRecommendation.recommended_at).where(ProductRecommendation.session_id == chat.id)
        )
        assert list(rows) == [T0 + timedelta(seconds=10)]


class TestManualRecommendation:
    def test_recommend_records_the_sku_by_hand(self, session: Session) -> None:
        shop = make_shop(session)
        make_sku(session, shop=shop, code="HT-1")
        agent = make_user(session)
        chat = make_chat(session, [("customer", 0, "在吗")], shop=shop, start=T0)
        row = recommendations.recommend(session, chat=chat, sku_code="HT-1", agent_id=agent.id, at=T0)
        assert (row.sku_code, row.agent_id, row.source) == ("HT-1", agent.id, RecommendationSource.MANUAL)

    def test_a_sku_of_another_shop_is_refused_naming_the_field(self, session: Session) -> None:
        shop = make_shop(session)
        make_sku(session, code="ELSEWHERE")
        chat = make_chat(session, [("customer", 0, "在吗")], shop=shop, start=T0)
        with pytest.raises(SkuNotInShopError, match="sku_code"):
            recommendations.recommend(
                session, chat=chat, sku_code="ELSEWHERE", agent_id=make_user(session).id
            )


def _converted(session: Session) -> list[tuple[int, bool, int]]:
    """(recommendation id, converted, fen) of every recommendation, as the 复盘 counts them."""
    table = ProductRecommendation.__table__
    rows = session.execute(
        select(
            ProductRecommendation.id,
            conversion.recommendation_converted(session, table),  # type: ignore[arg-type]
            conversion.recommendation_amount(session, table),  # type: ignore[arg-type]
        ).order_by(ProductRecommendation.id)
    )
    return [(i, bool(won), int(fen)) for i, won, fen in rows]


class TestRecommendationConversion:
    @pytest.fixture
    def setting(self, session: Session) -> tuple[Shop, Sku, Customer]:
        shop = make_shop(session)
        sku = make_sku(session, shop=shop, code="HT-1")
        buyer = make_customer(session, shop=shop)
        _recommendation_chat(session, shop, buyer, "推荐 HT-1")
        return shop, sku, buyer

    def test_the_buyer_ordering_the_sku_within_the_window_converts_with_the_lines_amount(
        self, session: Session, setting: tuple[Shop, Sku, Customer]
    ) -> None:
        shop, sku, buyer = setting
        _buy(session, shop, buyer, sku, T0 + timedelta(days=2))
        assert [(won, fen) for _id, won, fen in _converted(session)] == [(True, 10000)]

    def test_an_order_after_the_window_does_not_convert(
        self, session: Session, setting: tuple[Shop, Sku, Customer]
    ) -> None:
        shop, sku, buyer = setting
        _buy(session, shop, buyer, sku, T0 + timedelta(days=3, seconds=10))
        assert [won for _id, won, _fen in _converted(session)] == [False]

    def test_an_order_placed_before_the_recommendation_does_not_convert(
        self, session: Session, setting: tuple[Shop, Sku, Customer]
    ) -> None:
        shop, sku, buyer = setting
        _buy(session, shop, buyer, sku, T0 + timedelta(seconds=5))
        assert [won for _id, won, _fen in _converted(session)] == [False]

    def test_another_buyer_ordering_the_sku_does_not_convert(
        self, session: Session, setting: tuple[Shop, Sku, Customer]
    ) -> None:
        shop, sku, _buyer = setting
        _buy(session, shop, make_customer(session, shop=shop), sku, T0 + timedelta(hours=1))
        assert [won for _id, won, _fen in _converted(session)] == [False]

    def test_an_unpaid_order_or_another_sku_does_not_convert(
        self, session: Session, setting: tuple[Shop, Sku, Customer]
    ) -> None:
        shop, sku, buyer = setting
        unpaid = make_order(
            session, shop=shop, customer=buyer, ordered_at=T0 + timedelta(hours=1), paid_at=None
        )
        make_order_item(session, order=unpaid, sku_code=sku.code)
        _buy(session, shop, buyer, make_sku(session, shop=shop, code="HT-2"), T0 + timedelta(hours=2))
        assert [won for _id, won, _fen in _converted(session)] == [False]

    def test_the_shops_own_window_applies(
        self, session: Session, setting: tuple[Shop, Sku, Customer]
    ) -> None:
        shop, sku, buyer = setting
        windows = WindowsIn(recommendation_days=7, unpaid_after_minutes=30, follow_up_hours=24)
        conversion.save_windows(session, shop_id=shop.id, values=windows)
        _buy(session, shop, buyer, sku, T0 + timedelta(days=5))
        assert [won for _id, won, _fen in _converted(session)] == [True]


def _unpaid(session: Session, shop: Shop, at: datetime) -> Order:
    order = make_order(
        session,
        shop=shop,
        status=OrderStatus.PENDING_PAYMENT,
        ordered_at=at,
        paid_at=None,
        total_fen=8800,
        paid_fen=8800,
    )
    make_order_item(session, order=order, sku_code="HT-1")
    return order


class TestFollowUpList:
    def test_unpaid_orders_older_than_the_shops_minutes_younger_than_three_days_and_not_followed_are_due(
        self, session: Session
    ) -> None:
        shop = make_shop(session)
        old = _unpaid(session, shop, T0 - timedelta(minutes=31))
        _unpaid(session, shop, T0 - timedelta(minutes=29))
        _unpaid(session, shop, T0 - timedelta(hours=72))  # the platform has closed it by now
        followed = _unpaid(session, shop, T0 - timedelta(hours=2))
        make_order(session, shop=shop, ordered_at=T0 - timedelta(hours=3))  # paid
        followups.follow_up(session, order_id=followed.id, agent_id=None, mode=FollowUpMode.MANUAL, now=T0)
        due = session.execute(followups.due(session, now=T0, shop_id=shop.id)).all()
        assert [order.id for order, _buyer in due] == [old.id]


class TestFollowUp:
    def test_the_reminder_goes_through_the_outbox_once_per_order(self, session: Session) -> None:
        shop = make_shop(session)
        order = _unpaid(session, shop, T0 - timedelta(hours=1))
        agent = make_user(session)
        first = followups.follow_up(session, order_id=order.id, agent_id=agent.id, mode=FollowUpMode.MESSAGE)
        again = followups.follow_up(session, order_id=order.id, agent_id=agent.id, mode=FollowUpMode.MESSAGE)
        messages = session.scalars(select(OutboxMessage).where(OutboxMessage.subject_id == order.id)).all()
        assert first.id == again.id
        assert [m.idempotency_key for m in messages] == [f"follow_up:{order.id}"]
        assert order.source_id in messages[0].payload["text"]

    def test_a_manual_follow_up_sends_nothing(self, session: Session) -> None:
        order = _unpaid(session, make_shop(session), T0 - timedelta(hours=1))
        followups.follow_up(session, order_id=order.id, agent_id=None, mode=FollowUpMode.MANUAL)
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    def test_a_paid_order_is_refused(self, session: Session) -> None:
        order = make_order(session)
        with pytest.raises(OrderNotUnpaidError):
            followups.follow_up(session, order_id=order.id, agent_id=None, mode=FollowUpMode.MESSAGE)


class TestFollowUpConversion:
    """One shop, default 24 h window; four follow-ups by hand: 1 paid in time, 1 paid too late,
    1 never paid, 1 paid just before the window closes → 2 of 4 recovered, ¥88.00 each."""

    def test_paid_within_the_window_counts_and_later_does_not(self, session: Session) -> None:
        shop = make_shop(session)
        orders = [_unpaid(session, shop, T0 - timedelta(hours=1)) for _ in range(4)]
        for order in orders:
            followups.follow_up(session, order_id=order.id, agent_id=None, mode=FollowUpMode.MANUAL, now=T0)
        paid = {0: timedelta(hours=3), 1: timedelta(hours=24, seconds=1), 3: timedelta(hours=23, minutes=59)}
        for index, after in paid.items():
            orders[index].status, orders[index].paid_at = OrderStatus.PAID, T0 + after
        session.flush()
        assert followups.summary(session, since=T0 - timedelta(days=1), shop_id=shop.id) == (4, 2, 2 * 8800)

    def test_paid_before_the_follow_up_does_not_count(self, session: Session) -> None:
        shop = make_shop(session)
        order = _unpaid(session, shop, T0 - timedelta(hours=1))
        followups.follow_up(session, order_id=order.id, agent_id=None, mode=FollowUpMode.MANUAL, now=T0)
        order.status, order.paid_at = OrderStatus.PAID, T0 - timedelta(minutes=1)
        session.flush()
        assert followups.summary(session, since=T0 - timedelta(days=1), shop_id=shop.id) == (1, 0, 0)


class TestIndexedMatcherEqualsPattern:
    """``recommendations.Matcher`` (indexed) finds what the plain alternation finds, on texts made
    of codes that contain each other, names that start alike, links, and filler."""

    def test_both_find_the_same_skus(self) -> None:
        rng = random.Random(22)
        codes = ["A1", "A12", "DG-MOUSE", "DG-MOUSE-2", "8812345", "ht_blanket", "SKU-0001", "SKU-00012"]
        names = ["珊瑚绒毛毯", "珊瑚绒毛毯加厚款", "无线静音鼠标", "鼠标", "婴儿湿巾80抽"]
        skus = [
            recommendations.SkuText(n, code, name)
            for n, (code, name) in enumerate(zip(codes, names + ["短"] * len(codes), strict=False))
        ]
        pieces = [
            *codes,
            *names,
            "dg-mouse",
            "https://detail.tmall.com/item.htm?id=",
            "x",
            "9",
            "-",
            " ",
            "亲,",
            "推荐",
        ]
        fast, plain = recommendations.matcher(skus), recommendations.pattern_matcher(skus)
        assert fast is not None
        assert plain is not None
        for _ in range(3000):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 8)))
            assert [s.id for s in fast.find(text)] == [s.id for s in plain.find(text)], text


class TestMatcherCache:
    """``recommendations.shop_matchers`` keeps each shop's matcher per process under the catalogue
    token, which every write to ``skus`` renews in its transaction (database triggers): the next
    detection sees an ORM change, a bulk statement and a raw bulk insert alike."""

    def _detect(self, session: Session, shop: Shop, text: str) -> list[str]:
        return _recommended(
            session, _recommendation_chat(session, shop, make_customer(session, shop=shop), text)
        )

    def test_a_sku_added_or_renamed_after_a_detection_is_found_by_the_next(self, session: Session) -> None:
        shop = make_shop(session)
        sku = make_sku(session, shop=shop, code="HT-1", name="珊瑚绒毛毯")
        assert self._detect(session, shop, "HT-2 和 加厚羊毛被 都有") == []
        make_sku(session, shop=shop, code="HT-2")
        sku.name = "加厚羊毛被"
        session.flush()
        assert self._detect(session, shop, "HT-2 和 加厚羊毛被 都有") == ["HT-1", "HT-2"]

    def test_a_bulk_update_and_a_bulk_insert_are_seen_by_the_next_detection(self, session: Session) -> None:
        shop = make_shop(session)
        make_sku(session, shop=shop, code="HT-1")
        assert self._detect(session, shop, "HT-1 HT-9") == ["HT-1"]
        session.execute(update(Sku).where(Sku.shop_id == shop.id).values(is_active=False))
        assert self._detect(session, shop, "HT-1 HT-9") == []
        row = {"shop_id": shop.id, "code": "HT-9", "name": "毯", "price_fen": 100, "specs": {}}
        row |= {"selling_points": [], "no_reason_return_days": 7, "is_active": True, "is_discontinued": False}
        insert_ignore(session, Sku, [row], conflict_columns=["shop_id", "code"])
        assert self._detect(session, shop, "HT-1 HT-9") == ["HT-9"]

    def test_an_unchanged_catalogue_is_not_read_again(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        shop = make_shop(session)
        make_sku(session, shop=shop, code="HT-1")
        assert self._detect(session, shop, "HT-1") == ["HT-1"]
        monkeypatch.setattr(recommendations, "read_matchers", _refuse)
        assert self._detect(session, shop, "推荐 HT-1") == ["HT-1"]

    def test_the_cached_matchers_equal_the_fresh_ones_after_each_change(self, session: Session) -> None:
        shops = [make_shop(session), make_shop(session)]
        ids = [shop.id for shop in shops]
        changes = [
            lambda: make_sku(session, shop=shops[0], code="A-1", name="无线静音鼠标"),
            lambda: make_sku(session, shop=shops[1], code="B-1"),
            lambda: session.execute(update(Sku).where(Sku.code == "A-1").values(name="有线鼠标垫子")),
            lambda: session.execute(delete(Sku).where(Sku.code == "B-1")),
        ]
        for change in changes:
            change()
            session.flush()
            assert recommendations.shop_matchers(session, ids) == recommendations.read_matchers(session, ids)


def _refuse(*_args: object) -> object:
    raise AssertionError("the catalogue was read again")
