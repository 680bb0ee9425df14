from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy.orm import Session

from aftersales.analytics.forecast.repository import hourly_inquiries
from aftersales.analytics.forecast.service import forecast_and_staffing, hour_ranges
from aftersales.analytics.scope import Scope
from aftersales.analytics.trends import trends
from aftersales.conversations.models import ChatSession
from aftersales.kit.errors import InvalidInputError
from tests.analytics.conftest import PEAK, at
from tests.builders import (
    make_anomaly_row,
    make_chat_row,
    make_intercept_row,
    make_invitation_row,
    make_order,
    make_review,
    make_shipment,
    make_shop,
    make_ticket_row,
)


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


def _table(session: Session, scope: Scope, title: str, by: str = "day") -> dict[str, object]:
    """One series of the trends table as ``{bucket: formatted value}``, buckets without rows left out."""
    table = trends(session, scope, by=by).tables[0]
    column = table.columns.index(title)
    return {row[0]: row[column] for row in table.rows if row[column] not in ("0", "—")}


class TestHourlyTrends:
    def test_hourly_rows_cover_every_hour_of_the_range(self, session: Session, peak_scope: Scope) -> None:
        rows = trends(session, peak_scope, by="hour").tables[0].rows
        assert (len(rows), rows[0][0], rows[-1][0]) == (24, "2026-11-11 00", "2026-11-11 23")

    def test_tickets_count_in_their_shanghai_hour(self, session: Session, peak_scope: Scope) -> None:
        for hour, minute in [(9, 10), (9, 50), (10, 5)]:
            make_ticket_row(session, created_at=at(hour, minute))
        assert _table(session, peak_scope, "工单", by="hour") == {"2026-11-11 09": "2", "2026-11-11 10": "1"}

    def test_tickets_by_category_per_hour(self, session: Session, peak_scope: Scope) -> None:
        make_ticket_row(session, created_at=at(9, 10), category="物流问题")
        table = trends(session, peak_scope, by="hour").tables[1]
        assert table.rows[9] == ["2026-11-11 09", 1]

    def test_unknown_granularity_is_refused_naming_the_field(
        self, session: Session, peak_scope: Scope
    ) -> None:
        with pytest.raises(InvalidInputError, match="granularity"):
            trends(session, peak_scope, by="week")


class TestRateAndEventSeries:
    def test_satisfaction_rate_per_hour_is_four_and_five_stars_over_rated(
        self, session: Session, peak_scope: Scope
    ) -> None:
        """09 时: 5, 4, 2 stars → 2/3; 10 时: 1 star → 0."""
        for hour, stars in [(9, 5), (9, 4), (9, 2), (10, 1)]:
            make_invitation_row(session, eligible_at=at(8), rated_at=at(hour, 30), stars=stars)
        assert _table(session, peak_scope, "满意率", by="hour") == {
            "2026-11-11 09": "66.7%",
            "2026-11-11 10": "0.0%",
        }

    def test_negative_rate_per_day_is_one_and_two_star_reviews_over_reviews(self, session: Session) -> None:
        """11-10: 1 of 1 negative; 11-11: 1, 2, 4, 5 stars → 2 of 4."""
        shop = make_shop(session)
        for day, stars in [(10, 1), (11, 1), (11, 2), (11, 4), (11, 5)]:
            make_review(session, shop=shop, reviewed_at=at(12, day=day), stars=stars)
        scope = Scope(PEAK - timedelta(days=1), PEAK)
        assert _table(session, scope, "差评率") == {"2026-11-10": "100.0%", "2026-11-11": "50.0%"}

    def test_anomalies_count_on_the_day_they_were_first_seen(self, session: Session) -> None:
        for day, hour in [(10, 23), (11, 0), (11, 15)]:
            make_anomaly_row(session, first_seen_at=at(hour, 30, day=day))
        scope = Scope(PEAK - timedelta(days=1), PEAK)
        assert _table(session, scope, "物流异常(规则)") == {"2026-11-10": "1", "2026-11-11": "2"}

    def test_intercepts_count_in_the_hour_they_were_created(
        self, session: Session, peak_scope: Scope
    ) -> None:
        for hour, minute in [(14, 0), (14, 59), (15, 0)]:
            make_intercept_row(session, created_at=at(hour, minute))
        assert _table(session, peak_scope, "拦截", by="hour") == {"2026-11-11 14": "2", "2026-11-11 15": "1"}


class TestResponseSeries:
    def test_chat_first_response_is_the_mean_of_the_chats_in_the_hour(
        self, session: Session, peak_scope: Scope
    ) -> None:
        """09 时: 10 s and 30 s → 20; 10 时: 60 s; the unanswered chat counts in no average."""
        for hour, seconds in [(9, 10), (9, 30), (10, 60), (10, None)]:
            make_chat_row(session, started_at=at(hour, 20), first_response_seconds=seconds)
        assert _table(session, peak_scope, "会话首响(秒)", by="hour") == {
            "2026-11-11 09": "20",
            "2026-11-11 10": "60",
        }

    def test_chat_average_response_is_the_mean_of_the_chats_averages_per_day(
        self, session: Session, peak_scope: Scope
    ) -> None:
        for seconds in (15, 40, 50):
            make_chat_row(session, started_at=at(11), avg_response_seconds=seconds)
        assert _table(session, peak_scope, "会话平均响应(秒)") == {"2026-11-11": "35"}

    def test_ticket_first_response_is_in_minutes_per_hour(self, session: Session, peak_scope: Scope) -> None:
        make_ticket_row(session, created_at=at(9), first_responded_at=at(9, 10))
        make_ticket_row(session, created_at=at(9, 30), first_responded_at=at(10, 5))
        assert _table(session, peak_scope, "工单首响(分钟)", by="hour") == {"2026-11-11 09": "22.5"}


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
        series = hourly_inquiries(session, peak_scope)
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
