"""The promotion calendar and the inquiry model learned from past promotions."""

import random
from datetime import date, timedelta

import pytest

from aftersales.analytics.forecast.calendar import Promotion, calendar, festivals, own_peaks
from aftersales.analytics.forecast.promotion import (
    DailyHistory,
    NoPastPromotionError,
    backtest_window,
    fit,
    forecast_window,
    hourly,
)

START = date(2025, 9, 1)
END = date(2026, 11, 30)
KERNEL = (0.0, 0.02, 0.03, 0.02, 0.01)  # inquiries per paid order 0..4 days after payment
PROFILE = (3.0, 0.8, 0.5, 0.3, 0.2, 0.1)  # orders of the days from the peak per pre-sale order


def _history(promotions: list[tuple[date, float]], seed: int = 3) -> DailyHistory:
    """Ordinary days of 40 orders; each promotion a pre-sale, a peak and a tail; inquiries from
    the orders through ``KERNEL`` with Poisson noise."""
    rng = random.Random(seed)
    days = [START + timedelta(days=n) for n in range((END - START).days + 1)]
    orders = dict.fromkeys(days, 40.0)
    for peak, size in promotions:
        for n in range(1, 15):
            orders[peak - timedelta(days=n)] += size / 14
        for t, ratio in enumerate(PROFILE):
            orders[peak + timedelta(days=t)] += ratio * size
    inquiries = {}
    for day in days:
        expected = 5 + sum(w * orders.get(day - timedelta(days=k), 0.0) for k, w in enumerate(KERNEL))
        inquiries[day] = float(sum(rng.random() < expected / 1000 for _ in range(1000)))
    return DailyHistory.build(orders, inquiries, START, END)


PAST = [(date(2025, 11, 11), 3000.0), (date(2026, 6, 18), 2000.0), (date(2026, 1, 27), 1000.0)]
DOUBLE_11 = Promotion(date(2026, 11, 11), "双11")


def test_the_calendar_knows_the_platform_festivals_and_the_new_year_goods_festival() -> None:
    names = {(p.name, p.peak) for p in festivals(date(2026, 1, 1), date(2026, 12, 31))}
    assert names == {
        ("年货节", date(2026, 1, 27)),
        ("618", date(2026, 6, 18)),
        ("双11", date(2026, 11, 11)),
        ("双12", date(2026, 12, 12)),
    }


def test_a_shops_own_peak_is_found_in_its_orders_away_from_the_festivals() -> None:
    orders = {date(2026, 9, 1) + timedelta(days=n): 40.0 for n in range(30)}
    orders[date(2026, 9, 9)] = 400.0
    orders[date(2026, 9, 10)] = 200.0
    assert own_peaks(orders, []) == [Promotion(date(2026, 9, 9), "店铺自有大促")]


def test_a_busy_day_beside_a_festival_is_that_festival_not_a_promotion_of_its_own() -> None:
    orders = {date(2026, 6, 1) + timedelta(days=n): 40.0 for n in range(30)}
    orders[date(2026, 6, 18)] = 400.0
    assert [p.name for p in calendar(date(2026, 6, 1), date(2026, 6, 30), orders)] == ["618"]


def test_a_shops_own_sale_just_after_a_festival_it_sat_out_is_its_own_promotion() -> None:
    orders = {date(2026, 10, 15) + timedelta(days=n): 40.0 for n in range(47)}
    orders[date(2026, 11, 11)] = 50.0
    orders[date(2026, 11, 24)] = 3000.0
    found = calendar(date(2026, 10, 15), date(2026, 12, 13), orders)
    assert found == [Promotion(date(2026, 11, 24), "店铺自有大促"), Promotion(date(2026, 12, 12), "双12")]


def test_a_festival_still_to_come_stays_in_the_calendar() -> None:
    orders = {date(2026, 10, 1) + timedelta(days=n): 40.0 for n in range(30)}
    assert [p.name for p in calendar(date(2026, 10, 1), date(2026, 11, 30), orders)] == ["双11"]


def test_the_model_learns_the_order_profile_of_past_promotions() -> None:
    history = _history(PAST)
    model = fit(history.before(DOUBLE_11.peak), calendar(START, date(2026, 11, 10), {}))
    assert model.order_profile[: len(PROFILE)] == pytest.approx(PROFILE, rel=0.01)


def test_the_window_forecast_from_data_before_the_peak_meets_the_goal() -> None:
    history = _history([*PAST, (DOUBLE_11.peak, 4000.0)])
    check = backtest_window(history, calendar(START, END, {}), DOUBLE_11)
    assert len(check.days) == 14
    assert check.wape <= 0.10


def test_the_forecast_does_not_see_the_window_it_forecasts() -> None:
    history = _history([*PAST, (DOUBLE_11.peak, 4000.0)])
    before = history.orders.index < "2026-11-11"
    changed = DailyHistory(history.orders.where(before, 9999.0), history.inquiries.where(before, 9999.0))
    model = fit(history.before(DOUBLE_11.peak), calendar(START, date(2026, 11, 10), {}))
    assert forecast_window(model, history, DOUBLE_11.peak).equals(
        forecast_window(model, changed, DOUBLE_11.peak)
    )


def test_without_a_past_promotion_there_is_nothing_to_learn() -> None:
    history = _history([])
    with pytest.raises(NoPastPromotionError):
        fit(history.before(DOUBLE_11.peak), [])


def test_the_hourly_forecast_spreads_each_day_by_the_hourly_shape() -> None:
    history = _history(PAST)
    model = fit(history.before(DOUBLE_11.peak), calendar(START, date(2026, 11, 10), {}))
    daily = forecast_window(model, history, DOUBLE_11.peak)
    share = [0.0] * 8 + [1 / 16] * 16
    result = hourly(daily, model, share)
    assert len(result.mean) == 24 * 14
    assert sum(result.mean[:24]) == pytest.approx(float(daily.iloc[0]))
    assert result.mean[:8] == [0.0] * 8
