"""趋势分析: daily or hourly series of orders, parcels, chats, tickets, ratings and logistics events.

All counting happens in the database (GROUP BY local day or hour); Python only lines the buckets up.
"""

from collections.abc import Mapping
from typing import cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from aftersales.analytics import charts, repository
from aftersales.analytics.dimensions import CHATS, INVITATIONS, TICKETS
from aftersales.analytics.repository import ORDERS, SHIPMENTS
from aftersales.analytics.results import Analysis, DataTable, number, percent
from aftersales.analytics.scope import Scope, local_day, local_hour
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.logistics.models import Anomaly, Intercept
from aftersales.reviews.models import Review

REVIEWS = cast(Table, Review.__table__)
ANOMALIES = cast(Table, Anomaly.__table__)
INTERCEPTS = cast(Table, Intercept.__table__)
# the inquiries series' title, in the trends and in the forecasts
INQUIRY_LABEL = "咨询量(会话)"


def series_by(session: Session, scope: Scope, *, by: str = "day") -> dict[str, Mapping[str, float]]:
    """Every measure per local day or hour, keyed by its Chinese column title."""
    problem = repository.parcel_problem(SHIPMENTS, utcnow())
    series: dict[str, Mapping[str, float]] = {
        "订单": repository.count_by_time(session, scope, ORDERS, ORDERS.c.ordered_at, by=by),
    }
    series["发货包裹"], series["物流问题包裹"] = repository.count_and_hits_by_time(
        session, scope, SHIPMENTS, SHIPMENTS.c.shipped_at, problem, by=by
    )
    series.update(_inquiry_series(session, scope, by))
    series.update(_ticket_series(session, scope, by))
    series.update(_rating_series(session, scope, by))
    series.update(_event_series(session, scope, by))
    return series


def _inquiry_series(session: Session, scope: Scope, by: str) -> dict[str, Mapping[str, float]]:
    """Inquiries with the chats' own first-response and average-response seconds (session metrics)."""
    started = CHATS.c.started_at
    return {
        INQUIRY_LABEL: repository.count_by_time(session, scope, CHATS, started, by=by),
        "会话首响(秒)": repository.average_by_time(
            session, scope, CHATS, started, CHATS.c.first_response_seconds, by=by
        ),
        "会话平均响应(秒)": repository.average_by_time(
            session, scope, CHATS, started, CHATS.c.avg_response_seconds, by=by
        ),
    }


def _ticket_series(session: Session, scope: Scope, by: str) -> dict[str, Mapping[str, float]]:
    created = TICKETS.c.created_at
    waited = repository.response_seconds(session, TICKETS.c.first_responded_at, created) / 60
    return {
        "工单": repository.count_by_time(session, scope, TICKETS, created, by=by),
        "工单首响(分钟)": repository.average_by_time(session, scope, TICKETS, created, waited, by=by),
    }


def _rating_series(session: Session, scope: Scope, by: str) -> dict[str, Mapping[str, float]]:
    """满意率 of rated invitations (4-5 stars) and 差评率 of reviews (1-2 stars), when they were given."""
    invitations = INVITATIONS
    return {
        "满意率": repository.share_by_time(
            session, scope, invitations, invitations.c.rated_at, invitations.c.stars >= 4, by=by
        ),
        "差评率": repository.share_by_time(
            session, scope, REVIEWS, REVIEWS.c.reviewed_at, REVIEWS.c.stars <= 2, by=by
        ),
    }


def _event_series(session: Session, scope: Scope, by: str) -> dict[str, Mapping[str, float]]:
    """Logistics anomalies raised by the rules and parcel intercepts requested."""
    return {
        "物流异常(规则)": repository.count_by_time(
            session, scope, ANOMALIES, ANOMALIES.c.first_seen_at, by=by
        ),
        "拦截": repository.count_by_time(session, scope, INTERCEPTS, INTERCEPTS.c.created_at, by=by),
    }


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
    series = series_by(session, scope, by=by)
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
    analysis = Analysis("trends", "趋势分析", tables=[table, _category_table(session, scope, by)])
    _charts(analysis, series, keys, title)
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


def _category_table(session: Session, scope: Scope, by: str = "day") -> DataTable:
    """Tickets per local day or hour and problem category (一级分类)."""
    tickets = TICKETS
    period = "时间" if by == "hour" else "日期"
    table = DataTable("ticket_categories", f"{repository.GRANULARITIES[by]}工单分类", [period])
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
