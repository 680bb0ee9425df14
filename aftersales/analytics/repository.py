"""Every query analytics runs: set-based aggregations (GROUP BY in the database), read-only.

Functions take an ``Inputs`` to look tables and columns up, so a query over a table that does not
exist yet returns nothing and leaves a sentence in ``inputs.missing`` instead of failing.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from aftersales.analytics.scope import Scope, local_day, local_hour, seconds_between
from aftersales.analytics.sources import Inputs
from aftersales.kit.time import utcnow

PRICE_BANDS = (
    (0, 5000, "50元以下"),
    (5000, 10000, "50-100元"),
    (10000, 30000, "100-300元"),
    (30000, 100000, "300-1000元"),
)
LOGISTICS_PROBLEM_STATES = ("exception", "failed", "returned")
SAMPLE_CASES = 60_000


def _bucket(session: Session, column: ColumnElement[Any], by: str) -> ColumnElement[str]:
    return local_hour(session, column) if by == "hour" else local_day(session, column)


def count_by_time(
    session: Session,
    scope: Scope,
    table: Table,
    time_column: ColumnElement[Any],
    *,
    by: str = "day",
    where: ColumnElement[bool] | None = None,
) -> dict[str, int]:
    """Rows per local day (``YYYY-MM-DD``) or hour (``YYYY-MM-DD HH``) inside the scope."""
    bucket = _bucket(session, time_column, by).label("bucket")
    statement = (
        select(bucket, func.count())
        .select_from(table)
        .where(scope.within(time_column), scope.shop_filter(table))
        .group_by(bucket)
    )
    if where is not None:
        statement = statement.where(where)
    return {str(b): int(n) for b, n in session.execute(statement)}


def average_by_time(
    session: Session, scope: Scope, table: Table, time_column: ColumnElement[Any], value: ColumnElement[Any]
) -> dict[str, float]:
    bucket = local_day(session, time_column).label("bucket")
    statement = (
        select(bucket, func.avg(value))
        .select_from(table)
        .where(scope.within(time_column), scope.shop_filter(table), value.is_not(None))
        .group_by(bucket)
    )
    return {str(b): float(v) for b, v in session.execute(statement) if v is not None}


def price_band(paid_fen: ColumnElement[Any]) -> ColumnElement[str]:
    return case(
        *((and_(paid_fen >= low, paid_fen < high), literal(label)) for low, high, label in PRICE_BANDS),
        else_=literal("1000元以上"),
    )


def logistics_outcome(shipments: Table, now: datetime) -> ColumnElement[str]:
    """异常 (exception/failed/returned), 延误 (late against the estimate, or overdue), else 正常."""
    late = or_(
        shipments.c.delivered_at > shipments.c.estimated_delivery_at,
        and_(shipments.c.delivered_at.is_(None), shipments.c.estimated_delivery_at < now),
    )
    return case(
        (shipments.c.status.in_(LOGISTICS_PROBLEM_STATES), literal("物流异常")),
        (late, literal("物流延误")),
        else_=literal("正常"),
    )


def parcel_problem(shipments: Table, now: datetime) -> ColumnElement[bool]:
    return logistics_outcome(shipments, now) != "正常"


def _parcel_statement(session: Session, inputs: Inputs, scope: Scope) -> Select[Any] | None:
    orders, shipments = inputs.table("orders"), inputs.table("shipments")
    if orders is None or shipments is None:
        return None
    return (
        select(
            shipments.c.courier.label("快递"),
            orders.c.province.label("地区"),
            orders.c.platform.label("平台"),
            price_band(orders.c.paid_fen).label("价格带"),
            logistics_outcome(shipments, utcnow()).label("物流结果"),
        )
        .select_from(shipments.join(orders, orders.c.id == shipments.c.order_id))
        .where(scope.within(shipments.c.shipped_at), scope.shop_filter(orders))
    )


def parcel_cases(
    session: Session, inputs: Inputs, scope: Scope, *, sample: int = SAMPLE_CASES
) -> list[dict[str, Any]]:
    """Parcels as cases for association rules; a deterministic id-modulo sample beyond ``sample``."""
    statement = _parcel_statement(session, inputs, scope)
    if statement is None:
        return []
    shipments = inputs.table("shipments")
    assert shipments is not None
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    if total > sample:
        statement = statement.where(shipments.c.id % (total // sample + 1) == 0)
    return [dict(row._mapping) for row in session.execute(statement)]


def parcel_crosstab(
    session: Session, inputs: Inputs, scope: Scope, dimension: str
) -> list[tuple[str, str, int]]:
    """Exact counts of (value of ``dimension``, 物流结果) over every parcel in scope."""
    statement = _parcel_statement(session, inputs, scope)
    if statement is None:
        return []
    sub = statement.subquery()
    keys = (sub.c[dimension], sub.c["物流结果"])
    grouped = select(*keys, func.count()).group_by(*keys)
    return [(str(v), str(o), int(n)) for v, o, n in session.execute(grouped) if v is not None]


def ticket_cases(
    session: Session, inputs: Inputs, scope: Scope, *, sample: int = SAMPLE_CASES
) -> list[dict[str, Any]]:
    """Tickets with their order's platform, region, price band, first SKU, courier and agent."""
    tickets = inputs.table("tickets")
    category = inputs.column(tickets, "category", why="问题分类")
    created = inputs.column(tickets, "created_at", "opened_at")
    order_ref = inputs.column(tickets, "order_id")
    orders, shipments = inputs.table("orders"), inputs.table("shipments")
    if tickets is None or category is None or created is None or order_ref is None or orders is None:
        return []
    first_parcel = (
        select(shipments.c.order_id, func.min(shipments.c.courier).label("courier"))
        .group_by(shipments.c.order_id)
        .subquery()
        if shipments is not None
        else None
    )
    assignee = next((tickets.c[n] for n in ("assignee_id", "agent_id") if n in tickets.c), None)
    columns: list[ColumnElement[Any]] = [
        orders.c.platform.label("平台"),
        orders.c.province.label("地区"),
        price_band(orders.c.paid_fen).label("价格带"),
    ]
    joined: Any = tickets.join(orders, orders.c.id == order_ref)
    if first_parcel is not None:
        columns.append(first_parcel.c.courier.label("快递"))
        joined = joined.outerjoin(first_parcel, first_parcel.c.order_id == orders.c.id)
    if assignee is not None:
        columns.append(assignee.label("客服"))
    columns.append(category.label("问题分类"))
    statement = select(*columns).select_from(joined).where(scope.within(created), scope.shop_filter(orders))
    total = session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    if total > sample:
        statement = statement.where(tickets.c.id % (total // sample + 1) == 0)
    return [dict(row._mapping) for row in session.execute(statement)]


def grouped_counts(
    session: Session, table: Table, keys: Sequence[ColumnElement[Any]], where: ColumnElement[bool]
) -> dict[tuple[Any, ...], int]:
    statement = select(*keys, func.count()).select_from(table).where(where).group_by(*keys)
    return {tuple(row[:-1]): int(row[-1]) for row in session.execute(statement)}


def response_seconds(
    session: Session, later: ColumnElement[Any], earlier: ColumnElement[Any]
) -> ColumnElement[float]:
    return seconds_between(session, later, earlier)
