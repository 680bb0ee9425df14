"""Drill-down: the rows behind a number on a dashboard (orders, problem parcels, tickets)."""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from aftersales.analytics import repository
from aftersales.analytics.scope import Scope
from aftersales.analytics.sources import Inputs
from aftersales.kit.errors import NotFoundError
from aftersales.kit.time import format_local, utcnow
from aftersales.web.render import yuan

LIMIT = 200
KINDS = {"orders": "订单明细", "parcel_problems": "物流问题包裹明细", "tickets": "工单明细"}


def _narrow(scope: Scope, day: date | None) -> Scope:
    return Scope(day, day, scope.platform, scope.shop_id) if day else scope


def _orders(inputs: Inputs, scope: Scope, _category: str | None) -> tuple[Select[Any], list[str]]:
    orders = inputs.table("orders")
    assert orders is not None
    statement = (
        select(
            orders.c.id,
            orders.c.source_id,
            orders.c.platform,
            orders.c.province,
            orders.c.paid_fen,
            orders.c.ordered_at,
        )
        .where(scope.within(orders.c.ordered_at), scope.shop_filter(orders))
        .order_by(orders.c.ordered_at)
    )
    return statement, ["订单号", "平台", "省份", "实付", "下单时间"]


def _parcels(inputs: Inputs, scope: Scope, _category: str | None) -> tuple[Select[Any], list[str]]:
    orders, shipments = inputs.table("orders"), inputs.table("shipments")
    assert orders is not None
    assert shipments is not None
    statement = (
        select(
            shipments.c.order_id,
            shipments.c.tracking_no,
            shipments.c.courier,
            orders.c.province,
            repository.logistics_outcome(shipments, utcnow()),
            shipments.c.shipped_at,
        )
        .select_from(shipments.join(orders, orders.c.id == shipments.c.order_id))
        .where(
            scope.within(shipments.c.shipped_at),
            scope.shop_filter(orders),
            repository.parcel_problem(shipments, utcnow()),
        )
        .order_by(shipments.c.shipped_at)
    )
    return statement, ["运单号", "快递", "地区", "物流结果", "发货时间"]


def _tickets(inputs: Inputs, scope: Scope, category: str | None) -> tuple[Select[Any], list[str]]:
    tickets = inputs.table("tickets")
    if tickets is None:
        raise NotFoundError("工单数据尚不存在")
    condition: ColumnElement[bool] = and_(scope.within(tickets.c.created_at), scope.shop_filter(tickets))
    if category:
        condition = and_(condition, tickets.c.category == category)
    statement = (
        select(
            tickets.c.id,
            tickets.c.title,
            tickets.c.category,
            tickets.c.type,
            tickets.c.status,
            tickets.c.created_at,
        )
        .where(condition)
        .order_by(tickets.c.created_at)
    )
    return statement, ["工单", "分类", "类型", "状态", "创建时间"]


BUILDERS = {"orders": _orders, "parcel_problems": _parcels, "tickets": _tickets}
LINKS = {
    "orders": "/console/orders/{}",
    "parcel_problems": "/console/orders/{}",
    "tickets": "/console/tickets/{}",
}


def _cell(value: Any, column: str) -> Any:
    if column == "实付":
        return yuan(value)
    if hasattr(value, "tzinfo"):
        return format_local(value)
    return value


def drill(
    session: Session, *, kind: str, scope: Scope, day: date | None = None, category: str | None = None
) -> tuple[str, list[str], list[tuple[str, list[Any]]], int]:
    """Title, columns, (link, cells) rows (first ``LIMIT``) and the total count behind the number."""
    if kind not in BUILDERS:
        raise NotFoundError(f"没有这种明细: {kind}")
    statement, columns = BUILDERS[kind](Inputs(), _narrow(scope, day), category)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = [
        (LINKS[kind].format(row[0]), [_cell(v, c) for v, c in zip(row[1:], columns, strict=True)])
        for row in session.execute(statement.limit(LIMIT))
    ]
    title = KINDS[kind] + (f" · {day}" if day else "") + (f" · {category}" if category else "")
    return title, columns, rows, total
