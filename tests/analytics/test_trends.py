from datetime import timedelta

import numpy as np
from sqlalchemy.orm import Session

from aftersales.analytics.scope import Scope
from aftersales.analytics.sources import Inputs
from aftersales.analytics.trends import forecast_and_staffing, hour_ranges, hourly_inquiries, trends
from aftersales.conversations.models import ChatSession
from tests.analytics.conftest import PEAK, at
from tests.builders import make_order, make_shipment, make_shop, make_ticket_row


class TestDailyTrends:
    def test_orders_count_on_their_shanghai_day(self, session: Session) -> None:
        make_order(session, ordered_at=at(23, 30, day=10))
        make_order(session, ordered_at=at(0, 30))
        make_order(session, ordered_at=at(23, 30))
        table = trends(session, Scope(PEAK - timedelta(days=1), PEAK)).tables[0]
        column = table.columns.index("订单")
        assert [row[column] for row in table.rows] == ["1", "2"]

    def test_late_parcel_counts_as_a_logistics_problem(self, session: Session, peak_scope: Scope) -> None:
        order = make_order(session, ordered_at=at(1))
        make_shipment(
            session,
            order=order,
            shipped_at=at(9),
            estimated_delivery_at=at(9, day=13),
            delivered_at=at(9, day=14),
        )
        make_shipment(
            session,
            order=order,
            shipped_at=at(10),
            estimated_delivery_at=at(9, day=13),
            delivered_at=at(9, day=12),
        )
        table = trends(session, peak_scope).tables[0]
        row = table.rows[0]
        assert (row[table.columns.index("发货包裹")], row[table.columns.index("物流问题包裹")]) == ("2", "1")

    def test_problem_parcels_link_to_their_rows(self, session: Session, peak_scope: Scope) -> None:
        make_shipment(session, order=make_order(session), shipped_at=at(9), status="exception")
        table = trends(session, peak_scope).tables[0]
        link = table.link(0, table.columns.index("物流问题包裹"))
        assert link == "/console/analytics/drill/parcel_problems?day=2026-11-11"

    def test_tickets_by_category_per_day(self, session: Session, peak_scope: Scope) -> None:
        shop = make_shop(session)
        make_ticket_row(session, shop=shop, created_at=at(9), category="物流问题")
        make_ticket_row(session, shop=shop, created_at=at(10), category="物流问题")
        make_ticket_row(session, shop=shop, created_at=at(11), category="商品问题")
        table = trends(session, peak_scope).tables[1]
        assert dict(zip(table.columns, table.rows[0], strict=True)) == {
            "日期": "2026-11-11",
            "商品问题": 1,
            "物流问题": 2,
        }


def _seasonal_chats(session: Session, days: int) -> Scope:
    """Chats per hour following 4 + 3·sin(2πh/24): a known daily season, inserted in one batch."""
    shop = make_shop(session)
    rng = np.random.default_rng(5)
    start = PEAK - timedelta(days=days - 1)
    rows = []
    for n in range(24 * days):
        stamp = at(0, day=start.day) + timedelta(hours=n)
        for k in range(int(rng.poisson(4 + 3 * np.sin(n * 2 * np.pi / 24)))):
            rows.append(
                {
                    "shop_id": shop.id,
                    "platform": shop.platform,
                    "session_key": f"s{n}-{k}",
                    "started_at": stamp + timedelta(minutes=k),
                    "ended_at": stamp + timedelta(minutes=k + 5),
                }
            )
    session.execute(ChatSession.__table__.insert(), rows)  # type: ignore[attr-defined]
    return Scope(start, PEAK)


class TestForecastAndStaffing:
    def test_hourly_series_is_in_shanghai_time(self, session: Session, peak_scope: Scope) -> None:
        from tests.builders import make_chat_row

        make_chat_row(session, started_at=at(9, 15))
        series, _label = hourly_inquiries(session, peak_scope, Inputs())
        assert series[series > 0].index[0].hour == 9

    def test_forecast_prints_its_backtest_and_a_shift_plan(self, session: Session) -> None:
        scope = _seasonal_chats(session, 7)
        result = forecast_and_staffing(session, scope)
        assert result.findings[0].startswith("回测(留出最后 24 小时): MAE")
        assert result.findings[1].startswith("下次大促排班建议:共需")
        assert result.data["backtest"].wape < 0.6

    def test_without_inquiries_it_says_what_is_missing(self, session: Session, peak_scope: Scope) -> None:
        result = forecast_and_staffing(session, peak_scope)
        assert "范围内没有咨询数据,无法预测" in result.missing

    def test_one_day_of_history_is_reported_as_too_short(self, session: Session) -> None:
        scope = _seasonal_chats(session, 1)
        result = forecast_and_staffing(session, scope)
        assert any("预测需要更长的历史" in m for m in result.missing)


class TestHourRanges:
    def test_consecutive_hours_read_as_spans(self) -> None:
        assert hour_ranges([5, 0, 1, 2, 23]) == "00-03时、05-06时、23-24时"
