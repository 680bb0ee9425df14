"""Issue 2: time to generate the default demo promotion (6,000 orders) into SQLite."""

import os
import time
from datetime import date, datetime, timedelta

from benchmarks.figures import Figure, scratch_sqlite


def run(full: bool) -> list[Figure]:
    from aftersales import db
    from aftersales.config import get_settings
    from aftersales.demo.generator import DemoConfig, generate

    with scratch_sqlite() as url:
        os.environ["AFTERSALES_DATABASE_URL"] = url
        get_settings.cache_clear()
        db.get_engine.cache_clear()
        db.get_sessionmaker.cache_clear()
        config = DemoConfig.build(
            seed=11, orders=6000, peak_day=date(2026, 11, 11), as_of=datetime(2026, 11, 25, 12)
        )
        started = time.perf_counter()
        summary = generate(config)
        elapsed = time.perf_counter() - started
        forecast_figures = _double_11_backtest(config.peak_day)
        db.get_engine().dispose()
    return [
        Figure(
            "demo generation (default promotion)",
            elapsed,
            "s",
            note=f"{summary['orders']} orders, {summary['parcels']} parcels, {summary['events']} events",
        ),
        *forecast_figures,
    ]


def _double_11_backtest(peak: date) -> list[Figure]:
    """Issue 19: Double 11's 14-day after-sales window forecast from data before its peak, daily
    WAPE of the promotion model, beside the seasonal model fitted on the 14 days before the peak
    (the 复盘's 预测与实际, the forecast used before) in the same run."""
    from aftersales.analytics.forecast import calendar
    from aftersales.analytics.forecast.promotion import WINDOW_DAYS, backtest_window
    from aftersales.analytics.forecast.repository import daily_history
    from aftersales.analytics.report.service import forecast_vs_actual
    from aftersales.analytics.scope import Scope
    from aftersales.db import unit_of_work

    window = Scope(peak, peak + timedelta(days=WINDOW_DAYS - 1))
    with unit_of_work() as session:
        history = daily_history(session, window)
        orders = {t.date(): float(n) for t, n in history.orders.items()}
        known = calendar.calendar(history.orders.index[0].date(), window.end, orders)
        target = next(p for p in known if p.peak == peak)
        check = backtest_window(history, known, target)
        seasonal = forecast_vs_actual(session, window).data["comparison"]
    daily_actual = [sum(seasonal.actual[d * 24 : d * 24 + 24]) for d in range(WINDOW_DAYS)]
    daily_seasonal = [sum(seasonal.predicted[d * 24 : d * 24 + 24]) for d in range(WINDOW_DAYS)]
    seasonal_wape = sum(abs(a - p) for a, p in zip(daily_actual, daily_seasonal, strict=True)) / sum(
        daily_actual
    )
    return [
        Figure(
            f"Double 11 window forecast from before the peak ({len(check.days)} days)",
            100 * check.wape,
            "% daily WAPE",
            "≤ 25 %",
            note="learned from " + "、".join(p.label for p in check.learned),
        ),
        Figure(
            "  seasonal model (ETS) fitted on the 14 days before",
            100 * seasonal_wape,
            "% daily WAPE",
            note="baseline",
        ),
    ]
