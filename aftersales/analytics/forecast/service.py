"""The forecast page: the promotion-window forecast when a promotion meets the scope, else the
seasonal hourly model with its backtest; then Erlang C per hour and the shift plan."""

from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from aftersales.analytics import charts, repository
from aftersales.analytics.forecast import calendar
from aftersales.analytics.forecast.promotion import (
    WINDOW_DAYS,
    NoPastPromotionError,
    WindowBacktest,
    backtest_window,
    fit,
    forecast_window,
    hourly,
)
from aftersales.analytics.forecast.repository import daily_history, hourly_inquiries
from aftersales.analytics.forecast.seasonal import NotEnoughHistoryError, backtest, forecast
from aftersales.analytics.forecast.staffing import (
    THREE_SHIFTS,
    ServiceTarget,
    Shift,
    hourly_requirement,
    peak_profile,
    plan_shifts,
)
from aftersales.analytics.results import Analysis, DataTable, percent
from aftersales.analytics.scope import Scope
from aftersales.analytics.trends import INQUIRY_LABEL

NIGHT_SHIFT = Shift("夜班", 0, 8)
# Under one contact an hour, an agent on line waits all hour: the bot answers, the next shift follows up.
QUIET_HOUR_VOLUME = 1.0


def forecast_and_staffing(
    session: Session, scope: Scope, *, horizon_days: int = 3, target: ServiceTarget = ServiceTarget()
) -> Analysis:
    """Backtest, forecast of the next days, Erlang C requirement per hour and the shift plan."""
    repository.tune(session)
    series = hourly_inquiries(session, scope)
    analysis = Analysis("forecast", "咨询量预测与排班")
    if _promotion_forecast(session, scope, analysis, target):
        return analysis
    if series.sum() == 0:
        analysis.missing.append("范围内没有咨询数据,无法预测")
        return analysis
    try:
        check = backtest(series, horizon=24)
        ahead = forecast(series, horizon=24 * horizon_days)
    except NotEnoughHistoryError as exc:
        analysis.missing.append(f"预测需要更长的历史: {exc}")
        return analysis
    analysis.findings.append(check.describe())
    analysis.data.update(backtest=check, forecast=ahead, label=INQUIRY_LABEL)
    _forecast_tables(analysis, series, check, ahead)
    _staffing(analysis, ahead, target)
    return analysis


def _promotion_forecast(session: Session, scope: Scope, analysis: Analysis, target: ServiceTarget) -> bool:
    """The promotion-aware forecast when a promotion's after-sales window meets the scope and past
    promotions exist to learn from; False leaves the page to the seasonal model."""
    history = daily_history(session, scope)
    if not len(history.orders):
        return False
    orders = {t.date(): float(n) for t, n in history.orders.items()}
    window = timedelta(days=WINDOW_DAYS - 1)
    known = calendar.calendar(history.orders.index[0].date(), scope.end + window, orders)
    current = [p for p in known if scope.start - window <= p.peak <= scope.end]
    if not current:
        return False
    promotion = current[-1]
    try:
        check = backtest_window(history, known, promotion)
        model = fit(history.before(promotion.peak), [p for p in known if p.peak < promotion.peak])
    except NoPastPromotionError:
        analysis.missing.append(f"{promotion.label}之前没有可学习的往期大促,改用日常季节模型预测")
        return False
    daily = forecast_window(model, history, promotion.peak)
    ahead = hourly(daily, model, history.hourly_share)
    analysis.findings.append(check.describe() if check.days else f"{promotion.label}尚无实际数据可回测")
    analysis.findings.append(model.describe())
    analysis.data.update(promotion=promotion, window_backtest=check, forecast=ahead, label=INQUIRY_LABEL)
    _window_table(analysis, daily, check)
    _staffing(analysis, ahead, target)
    return True


def _window_table(analysis: Analysis, daily: pd.Series, check: WindowBacktest) -> None:
    actual = dict(zip(check.days, check.actual, strict=True))
    table = DataTable(
        "promotion_forecast",
        f"{check.promotion.label}售后期每日咨询量:预测与实际(只用峰值前的数据)",
        ["日期", "距峰值", "预测", "实际", "误差率"],
    )
    for n, (stamp, value) in enumerate(daily.items()):
        day = stamp.date()
        seen = actual.get(day)
        error = "" if not seen else percent(abs(value - seen) / seen)
        table.rows.append(
            [f"{day:%m-%d}", f"第 {n} 天", round(float(value), 1), "" if seen is None else seen, error]
        )
    analysis.tables.append(table)
    analysis.charts.append(
        charts.band_chart(
            f"{check.promotion.label}售后期每日咨询量",
            [f"{t:%m-%d}" for t in daily.index],
            [actual.get(t.date()) for t in daily.index],
            [float(v) for v in daily],
            [None] * len(daily),
            [None] * len(daily),
        )
    )


def _forecast_tables(analysis: Analysis, series: pd.Series, check: Any, ahead: Any) -> None:
    history = series.iloc[-72:]
    labels = [f"{t:%m-%d %H}" for t in history.index] + [f"{t:%m-%d %H}" for t in ahead.index]
    nones: list[float | None] = [None] * len(history)
    analysis.charts.append(
        charts.band_chart(
            f"{analysis.data['label']}:最近 3 天与未来 {len(ahead.index) // 24} 天(每小时)",
            labels,
            [*history.tolist(), *([None] * len(ahead.index))],
            [*nones, *ahead.mean],
            [*nones, *ahead.lower],
            [*nones, *ahead.upper],
        )
    )
    table = DataTable(
        "forecast", f"预测(每小时,{ahead.level:.0%} 预测区间)", ["时间", "预测", "下限", "上限"]
    )
    table.rows = [
        [f"{t:%Y-%m-%d %H:00}", round(m, 1), round(lo, 1), round(hi, 1)]
        for t, m, lo, hi in zip(ahead.index, ahead.mean, ahead.lower, ahead.upper, strict=True)
    ]
    vs = DataTable("backtest", "回测:最后 24 小时的预测与实际", ["时间", "实际", "预测", "误差"])
    vs.rows = [
        [f"{t:%m-%d %H:00}", a, round(p, 1), round(p - a, 1)]
        for t, a, p in zip(series.index[-check.horizon :], check.actual, check.predicted, strict=True)
    ]
    analysis.tables += [vs, table]


def hour_ranges(hours: list[int]) -> str:
    """``[0, 1, 2, 5]`` as ``00-03时、05-06时``: readable spans instead of a list of hours."""
    spans: list[list[int]] = []
    for hour in sorted(hours):
        if spans and hour == spans[-1][1]:
            spans[-1][1] = hour + 1
        else:
            spans.append([hour, hour + 1])
    return "、".join(f"{a:02d}-{b:02d}时" for a, b in spans)


def _staffing(analysis: Analysis, ahead: Any, target: ServiceTarget) -> None:
    """Plan for the busiest forecast value of each hour of day: the plan has to survive the peak."""
    profile = peak_profile(
        [(stamp.hour, value) for stamp, value in zip(ahead.index, ahead.mean, strict=True)]
    )
    quiet = [h for h in range(24) if 0 < profile[h] < QUIET_HOUR_VOLUME]
    requirement = hourly_requirement([0.0 if h in quiet else v for h, v in enumerate(profile)], target)
    shifts = THREE_SHIFTS + ((NIGHT_SHIFT,) if any(requirement[:8]) else ())
    plan = plan_shifts(requirement, shifts=shifts, min_per_shift=2)
    table = DataTable(
        "staffing", "每小时所需客服(Erlang C)与排班覆盖", ["时段", "预测咨询量", "所需客服", "排班在岗"]
    )
    table.rows = [[f"{h:02d}:00", round(profile[h], 1), requirement[h], plan.coverage[h]] for h in range(24)]
    table.note = (
        f"目标:{target.service_level:.0%} 的咨询在 {target.answer_seconds:.0f} 秒内首次响应,"
        f"平均处理 {target.handle_seconds:.0f} 秒,最高占用率 {target.max_occupancy:.0%},每班至少 2 人"
    )
    analysis.tables.append(table)
    analysis.findings.append("下次大促排班建议:" + plan.describe())
    if quiet:
        hours = hour_ranges(quiet)
        analysis.findings.append(
            f"{hours} 预测咨询不足每小时 {QUIET_HOUR_VOLUME:.0f} 条,由机器人接待、次班跟进,不单独排人"
        )
    analysis.data["plan"] = plan
