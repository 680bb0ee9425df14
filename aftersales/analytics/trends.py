"""趋势分析: daily or hourly series of every measure that exists, the hourly inquiry forecast and staffing.

All counting happens in the database (GROUP BY local day or hour); Python only lines the buckets up.
"""

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from aftersales.analytics import charts, promotions, repository
from aftersales.analytics.forecast import NotEnoughHistoryError, backtest, forecast, regular_hourly
from aftersales.analytics.promotion_forecast import (
    WINDOW_DAYS,
    DailyHistory,
    NoPastPromotionError,
    WindowBacktest,
    backtest_window,
    fit,
    forecast_window,
    hourly,
)
from aftersales.analytics.results import Analysis, DataTable, number, percent
from aftersales.analytics.scope import Scope, local_day, local_hour
from aftersales.analytics.sources import Inputs
from aftersales.analytics.staffing import (
    THREE_SHIFTS,
    ServiceTarget,
    Shift,
    hourly_requirement,
    peak_profile,
    plan_shifts,
)
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import SHANGHAI, utcnow

NIGHT_SHIFT = Shift("夜班", 0, 8)
# Under one contact an hour, an agent on line waits all hour: the bot answers, the next shift follows up.
QUIET_HOUR_VOLUME = 1.0
HISTORY_DAYS = 400  # a year of promotions before the scope, and the pre-sale of the first


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


def series_by(
    session: Session, scope: Scope, inputs: Inputs, *, by: str = "day"
) -> dict[str, Mapping[str, float]]:
    """Every measure whose table exists, per local day or hour, keyed by its Chinese column title."""
    series: dict[str, Mapping[str, float]] = {}
    orders, shipments = inputs.table("orders"), inputs.table("shipments")
    if orders is not None:
        series["订单"] = repository.count_by_time(session, scope, orders, orders.c.ordered_at, by=by)
    if shipments is not None:
        problem = repository.parcel_problem(shipments, utcnow())
        series["发货包裹"], series["物流问题包裹"] = repository.count_and_hits_by_time(
            session, scope, shipments, shipments.c.shipped_at, problem, by=by
        )
    series.update(_inquiry_series(session, scope, inputs, by))
    series.update(_ticket_series(session, scope, inputs, by))
    series.update(_rating_series(session, scope, inputs, by))
    series.update(_event_series(session, scope, inputs, by))
    return series


def _inquiry_series(
    session: Session, scope: Scope, inputs: Inputs, by: str
) -> dict[str, Mapping[str, float]]:
    """Inquiries with the chats' own first-response and average-response seconds (session metrics)."""
    source, time_name, label = _inquiry_source(inputs)
    if source is None or time_name is None or source.name == "tickets":
        return {}
    started = source.c[time_name]
    series: dict[str, Mapping[str, float]] = {
        label: repository.count_by_time(session, scope, source, started, by=by)
    }
    for title, names in (
        ("会话首响(秒)", ("first_response_seconds",)),
        ("会话平均响应(秒)", ("avg_response_seconds",)),
    ):
        value = inputs.column(source, *names, why=title)
        if value is not None:
            series[title] = repository.average_by_time(session, scope, source, started, value, by=by)
    return series


def _ticket_series(session: Session, scope: Scope, inputs: Inputs, by: str) -> dict[str, Mapping[str, float]]:
    tickets = inputs.table("tickets")
    if tickets is None:
        return {}
    created = tickets.c.created_at
    waited = repository.response_seconds(session, tickets.c.first_responded_at, created) / 60
    return {
        "工单": repository.count_by_time(session, scope, tickets, created, by=by),
        "工单首响(分钟)": repository.average_by_time(session, scope, tickets, created, waited, by=by),
    }


def _rating_series(session: Session, scope: Scope, inputs: Inputs, by: str) -> dict[str, Mapping[str, float]]:
    """满意率 of rated invitations (4-5 stars) and 差评率 of reviews (1-2 stars), when they were given."""
    series: dict[str, Mapping[str, float]] = {}
    invitations = inputs.table("rating_invitations")
    if invitations is not None:
        series["满意率"] = repository.share_by_time(
            session, scope, invitations, invitations.c.rated_at, invitations.c.stars >= 4, by=by
        )
    reviews = inputs.table("reviews")
    if reviews is not None:
        series["差评率"] = repository.share_by_time(
            session, scope, reviews, reviews.c.reviewed_at, reviews.c.stars <= 2, by=by
        )
    return series


def _event_series(session: Session, scope: Scope, inputs: Inputs, by: str) -> dict[str, Mapping[str, float]]:
    """Logistics anomalies raised by the rules and parcel intercepts requested."""
    series: dict[str, Mapping[str, float]] = {}
    anomalies = Inputs().table("logistics_anomalies")
    if anomalies is not None:
        series["物流异常(规则)"] = repository.count_by_time(
            session, scope, anomalies, anomalies.c.first_seen_at, by=by
        )
    intercepts = Inputs().table("parcel_intercepts", "intercepts")
    if intercepts is not None and "created_at" in intercepts.c:
        series["拦截"] = repository.count_by_time(session, scope, intercepts, intercepts.c.created_at, by=by)
    else:
        inputs.missing.append("缺少拦截记录(parcel_intercepts),拦截趋势未计算")
    return series


AVERAGE_SUFFIXES = ("(分钟)", "(秒)")


def _is_count(title: str) -> bool:
    """Counts are 0 in a bucket without rows; rates and averages have no value then."""
    return not title.endswith("率") and not title.endswith(AVERAGE_SUFFIXES)


def _format(title: str, value: float | None) -> str:
    return percent(value) if title.endswith("率") else number(value)


def buckets(scope: Scope, by: str) -> list[str]:
    """Every local day (``YYYY-MM-DD``) or hour (``YYYY-MM-DD HH``) of the scope, in order."""
    days = [d.isoformat() for d in scope.days]
    return [f"{d} {h:02d}" for d in days for h in range(24)] if by == "hour" else days


def trends(session: Session, scope: Scope, *, by: str = "day") -> Analysis:
    """Series per day or hour (``by``); numbers of a day link to the rows behind them."""
    repository.tune(session)
    if by not in repository.GRANULARITIES:
        raise InvalidInputError("granularity", f"未知粒度 {by}")
    inputs = Inputs()
    series = series_by(session, scope, inputs, by=by)
    keys = buckets(scope, by)
    period = "时间" if by == "hour" else "日期"
    title = f"{repository.GRANULARITIES[by]}趋势"
    table = DataTable("hourly" if by == "hour" else "daily", title, [period, *series])
    narrowed = "".join(f"&{k}={v}" for k, v in scope.query().items() if k in ("platform", "shop_id"))
    for r, key in enumerate(keys):
        table.rows.append(
            [key, *(_format(t, values.get(key, 0 if _is_count(t) else None)) for t, values in series.items())]
        )
        for c, name in enumerate(series, start=1):
            if by == "day" and name in DRILLABLE and series[name].get(key):
                table.links[(r, c)] = f"/console/analytics/drill/{DRILLABLE[name]}?day={key}{narrowed}"
    analysis = Analysis("trends", "趋势分析", tables=[table, _category_table(session, scope, inputs, by)])
    _charts(analysis, series, keys, title)
    analysis.missing = inputs.missing
    analysis.data["granularity"] = by
    return analysis


def _charts(analysis: Analysis, series: dict[str, Mapping[str, float]], keys: list[str], title: str) -> None:
    labels = [k[5:] for k in keys]
    counts = {t: [v.get(k, 0) for k in keys] for t, v in series.items() if _is_count(t)}
    if counts:
        analysis.charts.append(charts.line_chart(f"{title}:数量", labels, counts))
    rates = {t: [v.get(k) for k in keys] for t, v in series.items() if t.endswith("率")}
    if rates:
        analysis.charts.append(charts.line_chart("满意率与差评率", labels, rates))
    waits = {t: [v.get(k) for k in keys] for t, v in series.items() if t.endswith("(秒)")}
    if waits:
        analysis.charts.append(charts.line_chart("会话首响与平均响应(秒)", labels, waits))


DRILLABLE = {"订单": "orders", "物流问题包裹": "parcel_problems", "工单": "tickets"}


def _category_table(session: Session, scope: Scope, inputs: Inputs, by: str = "day") -> DataTable:
    """Tickets per local day or hour and problem category (一级分类)."""
    tickets = inputs.table("tickets")
    period = "时间" if by == "hour" else "日期"
    table = DataTable("ticket_categories", f"{repository.GRANULARITIES[by]}工单分类", [period])
    if tickets is None:
        return table
    bucket = (local_hour if by == "hour" else local_day)(session, tickets.c.created_at).label("bucket")
    statement = (
        select(bucket, tickets.c.category, func.count())
        .where(scope.within(tickets.c.created_at), scope.shop_filter(tickets))
        .group_by(bucket, tickets.c.category)
    )
    counts = {(str(d), str(c)): int(n) for d, c, n in session.execute(statement)}
    categories = sorted({c for _d, c in counts})
    table.columns += categories
    for r, key in enumerate(buckets(scope, by)):
        table.rows.append([key, *(counts.get((key, c), 0) for c in categories)])
        for c, category in enumerate(categories, start=1):
            if by == "day" and counts.get((key, category)):
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
    repository.tune(session)
    inputs = Inputs()
    series, label = hourly_inquiries(session, scope, inputs)
    analysis = Analysis("forecast", "咨询量预测与排班", missing=inputs.missing)
    if label and _promotion_forecast(session, scope, analysis, target):
        return analysis
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


def daily_history(session: Session, scope: Scope) -> DailyHistory | None:
    """Paid orders and inquiries per complete Shanghai day over ``HISTORY_DAYS`` up to the scope's
    end (today is not complete), and the inquiries' share per hour of day."""
    inputs = Inputs()
    source, time_name, _label = _inquiry_source(inputs)
    orders = inputs.table("orders")
    if source is None or time_name is None or orders is None:
        return None
    last = min(scope.end, utcnow().astimezone(SHANGHAI).date() - timedelta(days=1))
    span = Scope(last - timedelta(days=HISTORY_DAYS), last, scope.platform, scope.shop_id)
    paid = repository.count_by_time(session, span, orders, orders.c.paid_at)
    asked = repository.count_by_time(session, span, source, source.c[time_name], by="hour")
    per_day: dict[date, float] = {}
    per_hour = [0.0] * 24
    for key, n in asked.items():
        day = date.fromisoformat(key[:10])
        per_day[day] = per_day.get(day, 0.0) + n
        per_hour[int(key[11:13])] += n
    total = sum(per_hour)
    share = [n / total for n in per_hour] if total else None
    paid_days = {date.fromisoformat(k): float(v) for k, v in paid.items()}
    return DailyHistory.build(paid_days, per_day, span.start, last, share)


def _promotion_forecast(session: Session, scope: Scope, analysis: Analysis, target: ServiceTarget) -> bool:
    """The promotion-aware forecast when a promotion's after-sales window meets the scope and past
    promotions exist to learn from; False leaves the page to the seasonal model."""
    history = daily_history(session, scope)
    if history is None or not len(history.orders):
        return False
    orders = {t.date(): float(n) for t, n in history.orders.items()}
    window = timedelta(days=WINDOW_DAYS - 1)
    known = promotions.calendar(history.orders.index[0].date(), scope.end + window, orders)
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
    analysis.data.update(promotion=promotion, window_backtest=check, forecast=ahead, label="咨询量(会话)")
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
