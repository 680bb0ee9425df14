"""趋势分析: daily series of every measure that exists, the hourly inquiry forecast and staffing.

All counting happens in the database (GROUP BY local day or hour); Python only lines the buckets up.
"""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Table, case, func, select
from sqlalchemy.orm import Session

from aftersales.analytics import charts, repository
from aftersales.analytics.forecast import NotEnoughHistoryError, backtest, forecast, regular_hourly
from aftersales.analytics.results import Analysis, DataTable, number, percent
from aftersales.analytics.scope import Scope, local_day
from aftersales.analytics.sources import Inputs
from aftersales.analytics.staffing import (
    THREE_SHIFTS,
    ServiceTarget,
    Shift,
    hourly_requirement,
    peak_profile,
    plan_shifts,
)
from aftersales.kit.time import SHANGHAI, utcnow

NIGHT_SHIFT = Shift("夜班", 0, 8)
# Under one contact an hour, an agent on line waits all hour: the bot answers, the next shift follows up.
QUIET_HOUR_VOLUME = 1.0


def _share_by_day(session: Session, scope: Scope, table: Table, time_name: str, hit: Any) -> dict[str, float]:
    """Share of rows per local day for which ``hit`` holds (e.g. reviews with ≤ 2 stars)."""
    time_column = table.c[time_name]
    day = local_day(session, time_column).label("day")
    statement = (
        select(day, func.avg(case((hit, 1.0), else_=0.0)))
        .where(scope.within(time_column), scope.shop_filter(table))
        .group_by(day)
    )
    return {str(d): float(v) for d, v in session.execute(statement)}


def _inquiry_source(inputs: Inputs) -> tuple[Table | None, str | None, str]:
    """Conversations are the inquiries; without them tickets stand in, and the page says so."""
    probe = Inputs()
    conversations = probe.table("conversations", "chat_sessions")
    if conversations is not None:
        for name in ("started_at", "first_message_at", "created_at"):
            if name in conversations.c:
                return conversations, name, "咨询量(会话)"
    inputs.missing.append("缺少会话数据(conversations),咨询量以工单量代替")
    tickets = probe.table("tickets")
    if tickets is not None:
        return tickets, "created_at", "进线量(以工单代替)"
    return None, None, ""


def daily_series(session: Session, scope: Scope, inputs: Inputs) -> dict[str, Mapping[str, float]]:
    """Every daily measure whose table exists, keyed by its Chinese column title."""
    series: dict[str, Mapping[str, float]] = {}
    orders, shipments = inputs.table("orders"), inputs.table("shipments")
    if orders is not None:
        series["订单"] = repository.count_by_time(session, scope, orders, orders.c.ordered_at)
    if shipments is not None:
        problem = repository.parcel_problem(shipments, utcnow())
        series["发货包裹"], series["物流问题包裹"] = repository.count_and_hits_by_time(
            session, scope, shipments, shipments.c.shipped_at, problem
        )
    source, time_name, label = _inquiry_source(inputs)
    if source is not None and time_name is not None and source.name != "tickets":
        series[label] = repository.count_by_time(session, scope, source, source.c[time_name])
    tickets = inputs.table("tickets")
    if tickets is not None:
        series["工单"] = repository.count_by_time(session, scope, tickets, tickets.c.created_at)
        waited = repository.response_seconds(session, tickets.c.first_responded_at, tickets.c.created_at) / 60
        series["工单首响(分钟)"] = repository.average_by_time(
            session, scope, tickets, tickets.c.created_at, waited
        )
    invitations = inputs.table("rating_invitations")
    if invitations is not None:
        series["满意率"] = _share_by_day(session, scope, invitations, "rated_at", invitations.c.stars >= 4)
    reviews = inputs.table("reviews")
    if reviews is not None:
        series["差评率"] = _share_by_day(session, scope, reviews, "reviewed_at", reviews.c.stars <= 2)
    anomalies = Inputs().table("logistics_anomalies")
    if anomalies is not None:
        series["物流异常(规则)"] = repository.count_by_time(
            session, scope, anomalies, anomalies.c.first_seen_at
        )
    intercepts = Inputs().table("parcel_intercepts", "intercepts")
    if intercepts is not None and "created_at" in intercepts.c:
        series["拦截"] = repository.count_by_time(session, scope, intercepts, intercepts.c.created_at)
    else:
        inputs.missing.append("缺少拦截记录(parcel_intercepts),拦截趋势未计算")
    return series


def _is_count(title: str) -> bool:
    """Counts are 0 on a day without rows; rates and averages have no value then."""
    return not title.endswith("率") and "分钟" not in title


def _format(title: str, value: float | None) -> str:
    return percent(value) if title.endswith("率") else number(value)


def trends(session: Session, scope: Scope) -> Analysis:
    inputs = Inputs()
    series = daily_series(session, scope, inputs)
    days = [d.isoformat() for d in scope.days]
    table = DataTable("daily", "每日趋势", ["日期", *series])
    narrowed = "".join(f"&{k}={v}" for k, v in scope.query().items() if k in ("platform", "shop_id"))
    for r, day in enumerate(days):
        table.rows.append(
            [day, *(_format(t, values.get(day, 0 if _is_count(t) else None)) for t, values in series.items())]
        )
        for c, title in enumerate(series, start=1):
            if title in DRILLABLE and series[title].get(day):
                table.links[(r, c)] = f"/console/analytics/drill/{DRILLABLE[title]}?day={day}{narrowed}"
    analysis = Analysis("trends", "趋势分析", tables=[table, _category_table(session, scope, inputs)])
    counts = {t: [v.get(d, 0) for d in days] for t, v in series.items() if _is_count(t)}
    if counts:
        analysis.charts.append(charts.line_chart("每日量", [d[5:] for d in days], counts))
    rates = {t: [v.get(d) for d in days] for t, v in series.items() if t.endswith("率")}
    if rates:
        analysis.charts.append(charts.line_chart("满意率与差评率", [d[5:] for d in days], rates))
    analysis.missing = inputs.missing
    return analysis


DRILLABLE = {"订单": "orders", "物流问题包裹": "parcel_problems", "工单": "tickets"}


def _category_table(session: Session, scope: Scope, inputs: Inputs) -> DataTable:
    """Tickets per local day and problem category (一级分类)."""
    tickets = inputs.table("tickets")
    table = DataTable("ticket_categories", "每日工单分类", ["日期"])
    if tickets is None:
        return table
    day = local_day(session, tickets.c.created_at).label("day")
    statement = (
        select(day, tickets.c.category, func.count())
        .where(scope.within(tickets.c.created_at), scope.shop_filter(tickets))
        .group_by(day, tickets.c.category)
    )
    counts = {(str(d), str(c)): int(n) for d, c, n in session.execute(statement)}
    categories = sorted({c for _d, c in counts})
    table.columns += categories
    for r, current in enumerate(scope.days):
        key = current.isoformat()
        table.rows.append([key, *(counts.get((key, c), 0) for c in categories)])
        for c, category in enumerate(categories, start=1):
            if counts.get((key, category)):
                table.links[(r, c)] = f"/console/analytics/drill/tickets?day={key}&category={category}"
    return table


def hourly_inquiries(session: Session, scope: Scope, inputs: Inputs) -> tuple[pd.Series, str]:
    """A regular hourly series (Shanghai wall time) of inquiries over the scope, zeros filled.

    It stops at the current hour: an unfinished hour (or day) would read as a collapse in volume.
    """
    source, time_name, label = _inquiry_source(inputs)
    start = pd.Timestamp(scope.start)
    end = pd.Timestamp(scope.end + timedelta(days=1))
    if source is None or time_name is None:
        return pd.Series(0.0, index=pd.date_range(start, end, freq="h", inclusive="left")), ""
    counts = repository.count_by_time(session, scope, source, source.c[time_name], by="hour")
    by_hour = {pd.Timestamp(f"{k}:00"): float(v) for k, v in counts.items()}
    now = pd.Timestamp(utcnow().astimezone(SHANGHAI).replace(tzinfo=None)).floor("h")
    return regular_hourly(by_hour, start, min(end, now)), label


def forecast_and_staffing(
    session: Session, scope: Scope, *, horizon_days: int = 3, target: ServiceTarget = ServiceTarget()
) -> Analysis:
    """Backtest, forecast of the next days, Erlang C requirement per hour and the shift plan."""
    inputs = Inputs()
    series, label = hourly_inquiries(session, scope, inputs)
    analysis = Analysis("forecast", "咨询量预测与排班", missing=inputs.missing)
    if not label or series.sum() == 0:
        analysis.missing.append("范围内没有咨询数据,无法预测")
        return analysis
    try:
        check = backtest(series, horizon=24)
        ahead = forecast(series, horizon=24 * horizon_days)
    except NotEnoughHistoryError as exc:
        analysis.missing.append(f"预测需要更长的历史: {exc}")
        return analysis
    analysis.findings.append(check.describe())
    analysis.data.update(backtest=check, forecast=ahead, label=label)
    _forecast_tables(analysis, series, check, ahead)
    _staffing(analysis, ahead, target)
    return analysis


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
