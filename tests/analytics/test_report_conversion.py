"""The 复盘's 商品推荐转化 and 跟单挽回转化 per shop and agent, counted by hand, and the cells that
open the rows behind them."""

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from aftersales.analytics.drill import drill
from aftersales.analytics.report.exports import to_excel
from aftersales.analytics.report.service import build_report, conversions
from aftersales.analytics.results import DataTable
from aftersales.analytics.scope import Scope
from aftersales.catalog.models import Shop, Sku
from aftersales.orders.models import Customer, OrderStatus
from tests.analytics.conftest import PEAK, at
from tests.analytics.test_drill import _follow
from tests.builders import (
    make_chat_row,
    make_customer,
    make_follow_up,
    make_order,
    make_order_item,
    make_recommendation,
    make_shop,
    make_sku,
    make_user,
)


def table(session: Session, key: str) -> DataTable:
    return next(t for t in conversions(session, Scope(PEAK, PEAK)).tables if t.key == key)


@pytest.fixture
def shop(session: Session) -> Shop:
    return make_shop(session, name="旗舰店")


def _recommend(session: Session, shop: Shop, sku: Sku, agent_id: int, buyer: Customer, hour: int) -> None:
    chat = make_chat_row(session, shop=shop, started_at=at(hour), agent_id=agent_id, customer_id=buyer.id)
    make_recommendation(session, chat=chat, sku=sku, at=at(hour))


def _buy(session: Session, shop: Shop, buyer: Customer, sku: Sku, ordered_at: object) -> None:
    order = make_order(session, shop=shop, customer=buyer, ordered_at=ordered_at, paid_at=ordered_at)
    make_order_item(session, order=order, sku_code=sku.code, quantity=1, unit_price_fen=12900)


class TestRecommendations:
    """小李 recommends four times: bought in time (¥129), bought 3 days + 1 h later, bought before,
    bought by another buyer → 1 of 4; 小王 recommends once, bought → 1 of 1."""

    @pytest.fixture
    def counted(self, session: Session, shop: Shop) -> Shop:
        sku = make_sku(session, shop=shop, code="HT-1")
        li, wang = make_user(session, display_name="小李"), make_user(session, display_name="小王")
        buyers = [make_customer(session, shop=shop) for _ in range(5)]
        for buyer in buyers[:4]:
            _recommend(session, shop, sku, li.id, buyer, 10)
        _recommend(session, shop, sku, wang.id, buyers[4], 11)
        _buy(session, shop, buyers[0], sku, at(12))
        _buy(session, shop, buyers[1], sku, at(11) + timedelta(days=3))
        _buy(session, shop, buyers[2], sku, at(9))
        _buy(session, shop, make_customer(session, shop=shop), sku, at(12))
        _buy(session, shop, buyers[4], sku, at(20))
        return shop

    def test_per_agent_rate_and_amount(self, session: Session, counted: Shop) -> None:
        assert table(session, "recommendation_agent").rows == [
            ["小李", 4, 1, "25.0%", "¥129.00"],
            ["小王", 1, 1, "100.0%", "¥129.00"],
        ]

    def test_per_shop_and_the_summary_row(self, session: Session, counted: Shop) -> None:
        assert table(session, "recommendation_shop").rows == [["旗舰店", 5, 2, "40.0%", "¥258.00"]]
        assert ["商品推荐转化率", 2, 5, "40.0%"] in table(session, "conversions").rows

    def test_the_converted_cell_opens_as_many_recommendations(self, session: Session, counted: Shop) -> None:
        by_agent = table(session, "recommendation_agent")
        assert (_follow(session, by_agent.link(0, 1)), _follow(session, by_agent.link(0, 2))) == (4, 1)

    def test_the_definition_is_printed_under_the_table(self, session: Session, counted: Shop) -> None:
        assert "推荐后" in table(session, "recommendation_shop").note


class TestFollowUps:
    """小张 follows up three unpaid orders at 10:00: paid at 12:00 (¥88), paid the next day after
    24 h, never paid → 1 of 3, ¥88 recovered."""

    @pytest.fixture
    def counted(self, session: Session, shop: Shop) -> Shop:
        zhang = make_user(session, display_name="小张")
        orders = [
            make_order(
                session,
                shop=shop,
                status=OrderStatus.PENDING_PAYMENT,
                ordered_at=at(9),
                paid_at=None,
                paid_fen=8800,
            )
            for _ in range(3)
        ]
        for order in orders:
            make_follow_up(session, order=order, at=at(10), agent_id=zhang.id)
        for order, paid_at in ((orders[0], at(12)), (orders[1], at(10, 1, day=12))):
            order.status, order.paid_at = OrderStatus.PAID, paid_at
        session.flush()
        return shop

    def test_per_agent_rate_and_recovered_amount(self, session: Session, counted: Shop) -> None:
        assert table(session, "follow_up_agent").rows == [["小张", 3, 1, "33.3%", "¥88.00"]]

    def test_the_recovered_cell_opens_the_recovered_order(self, session: Session, counted: Shop) -> None:
        by_shop = table(session, "follow_up_shop")
        title, _columns, rows, total = drill(
            session,
            kind="follow_ups",
            scope=Scope(PEAK, PEAK),
            filters={"shop_id": str(counted.id), "converted": "1"},
        )
        assert (total, _follow(session, by_shop.link(0, 2))) == (1, 1)
        assert rows[0][1][4:] == ["是", "¥88.00"]

    def test_the_report_carries_both_sections_in_its_tables(self, session: Session, counted: Shop) -> None:
        keys = {t.key for _section, t in build_report(session, Scope(PEAK, PEAK)).tables()}
        assert {"recommendation_agent", "follow_up_shop"} <= keys


class TestExcel:
    def test_the_sheet_ends_with_the_definition(self, session: Session, shop: Shop) -> None:
        workbook = load_workbook(io.BytesIO(to_excel(build_report(session, Scope(PEAK, PEAK)))))
        rows = list(workbook["按店铺的跟单挽回转化"].values)
        assert rows[-1][0] == "口径"
        assert str(rows[-1][1]).startswith("跟单挽回转化率")
