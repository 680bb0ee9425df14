"""The forecast page around a promotion: the promotion model, what it rests on, staffing from it."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from aftersales.analytics.forecast.service import forecast_and_staffing
from aftersales.analytics.results import Analysis
from aftersales.analytics.scope import Scope
from aftersales.catalog.models import Sku
from aftersales.demo.history import generate_history
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderIn, OrderItemIn
from aftersales.orders.service import ingest_orders
from tests.builders import make_shop, make_sku

PEAK = date(2026, 11, 11)


@pytest.fixture
def page(session: Session) -> Analysis:
    """A year of a shop's orders and chats with earlier promotions, up to day 9 of Double 11."""
    shop = make_shop(session, code="hist")
    skus = [make_sku(session, shop=shop, price_fen=9900) for _ in range(3)]
    generate_history(
        session,
        seed=5,
        orders=4000,
        peak=PEAK,
        as_of=datetime(2026, 11, 20, 12, tzinfo=UTC),
        shops={"hist": shop},
        skus={"hist": skus},
    )
    _presale(session, shop.code, skus[0])
    return forecast_and_staffing(session, Scope(PEAK, date(2026, 11, 19)))


def _presale(session: Session, shop_code: str, sku: Sku) -> None:
    """This year's Double 11 pre-sale: 1,400 orders paid over the two weeks before the peak."""
    first = datetime(2026, 10, 28, 2, tzinfo=UTC)
    orders = [
        OrderIn(
            shop_code=shop_code,
            order_no=f"PRE{n:06d}",
            buyer_nick=f"pre-{n}",
            status=OrderStatus.PAID,
            total_fen=sku.price_fen,
            paid_fen=sku.price_fen,
            ordered_at=first + timedelta(minutes=14 * n),
            paid_at=first + timedelta(minutes=14 * n + 1),
            items=[OrderItemIn(sku_code=sku.code, title=sku.name, quantity=1, unit_price_fen=sku.price_fen)],
        )
        for n in range(1400)
    ]
    ingest_orders(session, orders)


def test_the_page_says_which_past_promotions_the_forecast_rests_on(page: Analysis) -> None:
    basis = next(f for f in page.findings if f.startswith("预测依据"))
    assert "618(2026-06-18)" in basis
    assert "年货节(2026-01-27)" in basis


def test_the_window_is_backtested_from_data_before_the_peak(page: Analysis) -> None:
    assert any(f.startswith("回测:只用 双11(2026-11-11) 峰值前的数据") for f in page.findings)


def test_the_agents_needed_follow_the_forecast_hour_by_hour(page: Analysis) -> None:
    staffing = next(t for t in page.tables if t.key == "staffing")
    busy = [row for row in staffing.rows if row[1] >= 1]
    assert busy
    assert all(row[2] >= 1 for row in busy)
    assert all(row[3] >= row[2] for row in staffing.rows)
