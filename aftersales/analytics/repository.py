"""Every query analytics runs: set-based aggregations (GROUP BY in the database), read-only.

Queries read the owning domains' tables through their models (orders, tickets, chats, reviews…).
"""

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, String, Table, and_, case, exists, func, literal, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from aftersales.analytics.dimensions import GROUPS, TICKETS, USERS, agent_groups
from aftersales.analytics.scope import Scope, local_day, local_hour
from aftersales.catalog.models import Sku
from aftersales.conversations.models import ChatSession
from aftersales.db import tune_for_large_reads
from aftersales.kit.sqltime import seconds_between
from aftersales.kit.time import utcnow
from aftersales.orders.models import Order, OrderItem, OrderStatus, Shipment, ShipmentDirection
from aftersales.returns.models import ReturnRequest
from aftersales.reviews.models import Review, Triage
from aftersales.tickets.models import Ticket, TicketType

ORDERS = cast(Table, Order.__table__)
ITEMS = cast(Table, OrderItem.__table__)
SHIPMENTS = cast(Table, Shipment.__table__)

PRICE_BANDS = (
    (0, 5000, "50元以下"),
    (5000, 10000, "50-100元"),
    (10000, 30000, "100-300元"),
    (30000, 100000, "300-1000元"),
)
LOGISTICS_PROBLEM_STATES = ("exception", "failed", "returned")


GRANULARITIES = {"day": "每日", "hour": "每小时"}


def tune(session: Session) -> None:
    """Analytics' big read-only statements: no JIT on PostgreSQL, and 64 MB for the parcel
    groups' sort (600,000 rows at 1M orders spill to disk at the 4 MB default)."""
    tune_for_large_reads(session, work_mem="64MB")


def _bucket(session: Session, column: ColumnElement[Any], by: str) -> ColumnElement[str]:
    return local_hour(session, column) if by == "hour" else local_day(session, column)


def share_by_time(
    session: Session,
    scope: Scope,
    table: Table,
    time_column: ColumnElement[Any],
    hit: Any,
    *,
    by: str = "day",
) -> dict[str, float]:
    """Share of rows per local day or hour for which ``hit`` holds (e.g. reviews with ≤ 2 stars)."""
    bucket = _bucket(session, time_column, by).label("bucket")
    statement = (
        select(bucket, func.avg(case((hit, 1.0), else_=0.0)))
        .where(scope.within(time_column), scope.shop_filter(table))
        .group_by(bucket)
    )
    return {str(b): float(v) for b, v in session.execute(statement)}


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


def count_and_hits_by_time(
    session: Session,
    scope: Scope,
    table: Table,
    time_column: ColumnElement[Any],
    hit: ColumnElement[bool],
    *,
    by: str = "day",
) -> tuple[dict[str, int], dict[str, int]]:
    """Rows and rows where ``hit`` holds per local day or hour, in one scan (parcels, problem parcels)."""
    bucket = _bucket(session, time_column, by).label("bucket")
    statement = (
        select(bucket, func.count(), func.sum(case((hit, 1), else_=0)))
        .select_from(table)
        .where(scope.within(time_column), scope.shop_filter(table))
        .group_by(bucket)
    )
    rows = session.execute(statement).all()
    return {str(b): int(n) for b, n, _h in rows}, {str(b): int(h or 0) for b, _n, h in rows}


def average_by_time(
    session: Session,
    scope: Scope,
    table: Table,
    time_column: ColumnElement[Any],
    value: ColumnElement[Any],
    *,
    by: str = "day",
) -> dict[str, float]:
    """Mean of ``value`` per local day or hour over the rows that have one."""
    bucket = _bucket(session, time_column, by).label("bucket")
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
    """异常 (exception/failed/returned), 延误 (late against the estimate, or overdue), else 正常.

    An undelivered parcel of a closed order (cancelled, refunded in transit) is not overdue."""
    orders = cast(Table, Order.__table__).alias("closed_orders")  # its own name: callers join orders too
    closed = (
        exists()
        .where(orders.c.id == shipments.c.order_id, orders.c.status == OrderStatus.CLOSED)
        .correlate_except(orders)
    )
    late = or_(
        shipments.c.delivered_at > shipments.c.estimated_delivery_at,
        and_(shipments.c.delivered_at.is_(None), shipments.c.estimated_delivery_at < now, ~closed),
    )
    return case(
        (shipments.c.status.in_(LOGISTICS_PROBLEM_STATES), literal("物流异常")),
        (late, literal("物流延误")),
        else_=literal("正常"),
    )


def parcel_problem(shipments: Table, now: datetime) -> ColumnElement[bool]:
    return logistics_outcome(shipments, now) != "正常"


def _grouped_rows(
    session: Session, columns: list[ColumnElement[Any]], source: Any, where: Any
) -> list[tuple[dict[str, Any], int]]:
    """Distinct attribute combinations with their counts: cases arrive aggregated, never row by row."""
    statement = select(*columns, func.count()).select_from(source).where(*where).group_by(*columns)
    names = [c.name for c in columns]
    return [(dict(zip(names, row[:-1], strict=True)), int(row[-1])) for row in session.execute(statement)]


def order_sku(order_ref: ColumnElement[Any]) -> ColumnElement[Any]:
    """The order's first SKU code (lowest), looked up per case through the ``order_items`` key.

    One SKU per case keeps every case counted once; an order of several SKUs counts under the
    first, which the page's definition says.
    """
    return select(func.min(ITEMS.c.sku_code)).where(ITEMS.c.order_id == order_ref).scalar_subquery()


def parcel_groups(session: Session, scope: Scope) -> list[tuple[dict[str, Any], int]]:
    """Parcels shipped in scope grouped by courier, region, platform, price band, SKU and 物流结果."""
    orders, shipments = ORDERS, SHIPMENTS
    columns: list[ColumnElement[Any]] = [
        shipments.c.courier.label("快递"),
        orders.c.province.label("地区"),
        orders.c.platform.label("平台"),
        price_band(orders.c.paid_fen).label("价格带"),
        order_sku(orders.c.id).label("商品"),
        logistics_outcome(shipments, utcnow()).label("物流结果"),
    ]
    source = shipments.join(orders, orders.c.id == shipments.c.order_id)
    return _grouped_rows(
        session, columns, source, (scope.within(shipments.c.shipped_at), scope.shop_filter(orders))
    )


def ticket_groups(session: Session, scope: Scope) -> list[tuple[dict[str, Any], int]]:
    """Tickets with an order, grouped by platform, region, price band, courier, SKU, agent and category.

    The courier is the order's first parcel, looked up per ticket through ``ix_shipments_order_id``;
    the SKU is the ticket's own, else the order's first.
    """
    tickets, orders = TICKETS, ORDERS
    order_ref = tickets.c.order_id
    courier = select(func.min(SHIPMENTS.c.courier)).where(SHIPMENTS.c.order_id == order_ref).scalar_subquery()
    columns: list[ColumnElement[Any]] = [
        orders.c.platform.label("平台"),
        orders.c.province.label("地区"),
        price_band(orders.c.paid_fen).label("价格带"),
        courier.label("快递"),
        func.coalesce(tickets.c.sku_code, order_sku(order_ref)).label("商品"),
        USERS.c.display_name.label("客服"),
        tickets.c.category.label("问题分类"),
    ]
    source = tickets.join(orders, orders.c.id == order_ref).outerjoin(
        USERS, USERS.c.id == tickets.c.assignee_id
    )
    return _grouped_rows(
        session, columns, source, (scope.within(tickets.c.created_at), scope.shop_filter(orders))
    )


def response_seconds(
    session: Session, later: ColumnElement[Any], earlier: ColumnElement[Any]
) -> ColumnElement[float]:
    return seconds_between(session, later, earlier)


def team_group_code(session: Session, *, level: str, subject: str, agent_id: int | None) -> str | None:
    """The ticket group an alert's subject works in: the agent's own group, or the group itself."""
    if level == "group":
        return session.scalar(select(GROUPS.c.code).where(GROUPS.c.name == subject).limit(1))
    if level != "agent" or agent_id is None:
        return None
    derived = agent_groups()
    statement = select(GROUPS.c.code).join(derived, derived.c.group_id == GROUPS.c.id)
    return session.scalar(statement.where(derived.c.agent_id == agent_id))


DAY_SECONDS = 86400.0
LATENESS_BUCKETS = ((6, "晚7天以上"), (2, "晚3-6天"), (0, "晚1-2天"))


def order_outcome_groups(session: Session, scope: Scope) -> list[tuple[dict[str, Any], int]]:
    """Orders placed in scope grouped by their attributes and every outcome a shop follows.

    Attributes: lateness against the estimate (days, bucketed), courier, region, SKU, category,
    price band. Outcomes: the lowest review rating, a negative review, a refund, a complaint,
    repeat contact (two or more tickets and chats), the first ticket's category. Each order is one
    case: parcels, reviews, returns, tickets and chats are aggregated per order before the join.
    """
    now = utcnow()
    orders = ORDERS
    parcels = _order_parcels(session)
    reviews = (
        select(
            Review.order_id,
            func.min(Review.stars).label("stars"),
            func.max(case((or_(Review.triage == Triage.NEGATIVE, Review.is_mismatch), 1), else_=0)).label(
                "bad"
            ),
        )
        .where(Review.order_id.is_not(None))
        .group_by(Review.order_id)
        .subquery()
    )
    refunds = (
        select(ReturnRequest.order_id, func.count().label("n"))
        .where(ReturnRequest.refund_fen > 0)
        .group_by(ReturnRequest.order_id)
        .subquery()
    )
    tickets = (
        select(
            Ticket.order_id,
            func.count().label("n"),
            func.max(case((Ticket.type == TicketType.COMPLAINT, 1), else_=0)).label("complaint"),
            func.min(Ticket.category).label("category"),
        )
        .where(Ticket.order_id.is_not(None))
        .group_by(Ticket.order_id)
        .subquery()
    )
    chats = (
        select(ChatSession.order_id, func.count().label("n"))
        .where(ChatSession.order_id.is_not(None))
        .group_by(ChatSession.order_id)
        .subquery()
    )
    contacts = func.coalesce(tickets.c.n, 0) + func.coalesce(chats.c.n, 0)
    first_sku = select(func.min(OrderItem.sku_code)).where(OrderItem.order_id == Order.id).scalar_subquery()
    category = (
        select(func.min(Sku.category))
        .join(OrderItem, OrderItem.sku_id == Sku.id)
        .where(OrderItem.order_id == Order.id)
        .scalar_subquery()
    )
    columns: list[ColumnElement[Any]] = [
        _lateness(parcels, orders, now).label("延迟"),
        parcels.c.courier.label("快递"),
        orders.c.province.label("地区"),
        first_sku.label("商品"),
        category.label("品类"),
        price_band(orders.c.paid_fen).label("价格带"),
        (sql_cast(reviews.c.stars, String) + literal("星")).label("评分"),
        case((reviews.c.bad == 1, literal("差评")), else_=literal("无")).label("差评"),
        case((refunds.c.n > 0, literal("退款")), else_=literal("无")).label("退款"),
        case((tickets.c.complaint == 1, literal("投诉")), else_=literal("无")).label("投诉"),
        case((contacts >= 2, literal("重复咨询")), else_=literal("无")).label("重复咨询"),
        tickets.c.category.label("工单分类"),
    ]
    source: Any = orders
    for per_order in (parcels, reviews, refunds, tickets, chats):
        source = source.outerjoin(per_order, per_order.c.order_id == orders.c.id)
    return _grouped_rows(
        session, columns, source, (scope.within(orders.c.ordered_at), scope.shop_filter(orders))
    )


def _order_parcels(session: Session) -> Any:
    """Per order, over its outbound parcels (reshipments aside): the latest delivery against the
    estimate in seconds, the earliest estimate, and the courier."""
    shipments = SHIPMENTS
    late = seconds_between(session, shipments.c.delivered_at, shipments.c.estimated_delivery_at)
    return (
        select(
            shipments.c.order_id,
            func.max(late).label("late_seconds"),
            func.min(shipments.c.estimated_delivery_at).label("eta"),
            func.min(shipments.c.courier).label("courier"),
        )
        .where(shipments.c.direction == ShipmentDirection.OUTBOUND, shipments.c.is_reshipment.is_(False))
        .group_by(shipments.c.order_id)
        .subquery()
    )


def _lateness(parcels: Any, orders: Table, now: datetime) -> ColumnElement[str]:
    """准时 / 晚1-2天 / 晚3-6天 / 晚7天以上 for delivered parcels; an undelivered one past its estimate
    is 逾期未送达, unless its order was closed (cancelled, refunded before delivery): 取消未送达 is not late.
    No estimate: no lateness item."""
    late = parcels.c.late_seconds
    return case(
        *((late > days * DAY_SECONDS, literal(label)) for days, label in LATENESS_BUCKETS),
        (late.is_not(None), literal("准时")),
        (and_(parcels.c.eta < now, orders.c.status == OrderStatus.CLOSED), literal("取消未送达")),
        (parcels.c.eta < now, literal("逾期未送达")),
        else_=None,
    )
