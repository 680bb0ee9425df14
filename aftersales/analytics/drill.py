"""Drill-down: the rows behind a number on a dashboard (orders, problem parcels, tickets, chats,
rating invitations, QC results, answered surveys), narrowed by the filters the number was counted
with."""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, and_, func, not_, select
from sqlalchemy.orm import Session

from aftersales.analytics import repository
from aftersales.analytics.dimensions import (
    CHATS,
    INVITATIONS,
    QC_RESULTS,
    SURVEYS,
    TICKETS,
    subject_condition,
)
from aftersales.analytics.report.conversion import FOLLOW_UPS, RECOMMENDATIONS, in_scope
from aftersales.analytics.repository import ORDERS, SHIPMENTS
from aftersales.analytics.scope import Scope
from aftersales.auth.models import User
from aftersales.catalog.models import PLATFORM_LABELS, Platform
from aftersales.conversations.conversion import (
    follow_up_converted,
    recommendation_amount,
    recommendation_converted,
)
from aftersales.conversations.models import FollowUpMode, Handling, RecommendationSource
from aftersales.kit.errors import InvalidInputError, NotFoundError
from aftersales.kit.time import format_local, utcnow
from aftersales.orders.couriers import COURIERS
from aftersales.qc.checkpoints import BY_CODE as CHECKPOINTS
from aftersales.qc.models import QcFinding
from aftersales.tickets.models import STATUS_LABELS, TYPE_LABELS
from aftersales.web.render import yuan

LIMIT = 200
KINDS = {
    "orders": "订单明细",
    "parcel_problems": "物流问题包裹明细",
    "tickets": "工单明细",
    "chats": "会话明细",
    "invitations": "邀评明细",
    "qc_results": "质检明细",
    "surveys": "问卷明细",
    "recommendations": "商品推荐明细",
    "follow_ups": "跟单明细",
}
# Query parameters a drill-down understands; each kind applies those its rows carry.
FILTERS = {
    "category": "分类",
    "agent_id": "客服",
    "group_id": "客服组",
    "shop_id": "店铺",
    "shop_platform": "平台",
    "answered": "人工接待",
    "sku": "商品",
    "courier": "快递",
    "province": "地区",
    "outcome": "物流结果",
    "checkpoint": "未通过质检点",
    "converted": "已转化",
}
Filters = Mapping[str, str]


def _narrow(scope: Scope, day: date | None) -> Scope:
    return Scope(day, day, scope.platform, scope.shop_id) if day else scope


def _agent(filters: Filters) -> int | None:
    value = filters.get("agent_id")
    if value is None:
        return None
    if not value.isdigit():
        raise InvalidInputError("agent_id", "客服编号应为数字")
    return int(value)


# Scorecard subjects other than agents: filter -> the level whose key it names (dimensions.py).
SUBJECT_FILTERS = {"shop_id": "shop", "group_id": "group", "shop_platform": "platform"}


def _subjects(table: Table, filters: Filters) -> list[ColumnElement[bool]]:
    """Conditions for the shop / group / platform a scorecard cell was counted under."""
    conditions = []
    for name, level in SUBJECT_FILTERS.items():
        value = filters.get(name)
        if value is None:
            continue
        if name == "shop_platform" and value not in {p.value for p in Platform}:
            raise InvalidInputError(name, f"未知平台 {value}")
        if name != "shop_platform" and not value.isdigit():
            raise InvalidInputError(name, f"{FILTERS[name]}编号应为数字")
        conditions.append(subject_condition(table, level, value))
    return conditions


def _narrowed(conditions: list[ColumnElement[bool]], pairs: list[tuple[Any, str | int | None]]) -> Any:
    """``conditions`` and ``column == value`` for every filter that was given."""
    return and_(*conditions, *(column == value for column, value in pairs if value is not None))


def _orders(_session: Session, scope: Scope, _filters: Filters) -> tuple[Select[Any], list[str]]:
    orders = ORDERS
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


def _parcels(_session: Session, scope: Scope, filters: Filters) -> tuple[Select[Any], list[str]]:
    orders, shipments = ORDERS, SHIPMENTS
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
            _narrowed(
                [
                    scope.within(shipments.c.shipped_at),
                    scope.shop_filter(orders),
                    repository.parcel_problem(shipments, utcnow()),
                ],
                [
                    (shipments.c.courier, filters.get("courier")),
                    (orders.c.province, filters.get("province")),
                    (repository.logistics_outcome(shipments, utcnow()), filters.get("outcome")),
                ],
            )
        )
        .order_by(shipments.c.shipped_at)
    )
    return statement, ["运单号", "快递", "地区", "物流结果", "发货时间"]


def _ticket_sku(tickets: Table) -> ColumnElement[Any]:
    """The SKU associations count a ticket under: its own, else its order's first."""
    return func.coalesce(tickets.c.sku_code, repository.order_sku(tickets.c.order_id))


def _tickets(_session: Session, scope: Scope, filters: Filters) -> tuple[Select[Any], list[str]]:
    tickets = TICKETS
    condition = _narrowed(
        [
            scope.within(tickets.c.created_at),
            scope.shop_filter(tickets),
            *_subjects(tickets, filters),
        ],
        [
            (tickets.c.category, filters.get("category")),
            (tickets.c.assignee_id, _agent(filters)),
            (_ticket_sku(tickets), filters.get("sku")),
        ],
    )
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


def _agent_rows(
    scope: Scope,
    filters: Filters,
    *,
    source: tuple[Table, str],
    columns: tuple[str, ...],
    required: str | None = None,
) -> Select[Any]:
    """Rows of ``source`` (table, time column) in the scope, narrowed to one agent."""
    table, time_name = source
    time = table.c[time_name]
    conditions = [scope.within(time), scope.shop_filter(table), *_subjects(table, filters)]
    if required:
        conditions.append(table.c[required].is_not(None))
    if table is QC_RESULTS and (code := filters.get("checkpoint")):
        conditions.append(_failed(code))
    narrowed = _narrowed(conditions, [(table.c.agent_id, _agent(filters))])
    return select(*(table.c[c] for c in columns)).where(narrowed).order_by(time)


def _failed(code: str) -> ColumnElement[bool]:
    """QC results whose checkpoint ``code`` failed (the 复盘's 原因下钻)."""
    if code not in CHECKPOINTS:
        raise InvalidInputError("checkpoint", f"未知质检点 {code}")
    failed = select(QcFinding.session_id).where(QcFinding.code == code, QcFinding.final_passed.is_(False))
    return QC_RESULTS.c.session_id.in_(failed)


# Per-agent drill-downs: (table, time column), selected columns (link id first), titles.
AGENT_SOURCES: dict[str, tuple[tuple[Table, str], tuple[str, ...], list[str]]] = {
    "chats": (
        (CHATS, "started_at"),
        ("id", "session_key", "handling", "first_response_seconds", "avg_response_seconds", "started_at"),
        ["会话", "接待方式", "首响(秒)", "平均响应(秒)", "开始时间"],
    ),
    "invitations": (
        (INVITATIONS, "eligible_at"),
        ("id", "subject_key", "invited_at", "stars", "final_stars", "eligible_at"),
        ["评价对象", "邀评时间", "星级", "挽回后星级", "可邀评时间"],
    ),
    "qc_results": (
        (QC_RESULTS, "started_at"),
        ("session_id", "session_id", "score", "passed", "emotion_label", "started_at"),
        ["会话", "质检分", "合格", "情绪", "会话开始"],
    ),
    "surveys": (
        (SURVEYS, "answered_at"),
        ("id", "subject_key", "overall_stars", "invited_at", "answered_at"),
        ["评价对象", "整体满意度", "邀请时间", "回答时间"],
    ),
}


Builder = Callable[[Session, Scope, Filters], tuple[Select[Any], list[str]]]


def _per_agent(kind: str) -> Builder:
    source, columns, titles = AGENT_SOURCES[kind]

    def build(_session: Session, scope: Scope, filters: Filters) -> tuple[Select[Any], list[str]]:
        answered = kind == "chats" and filters.get("answered")
        required = "first_response_seconds" if answered else None
        statement = _agent_rows(scope, filters, source=source, columns=columns, required=required)
        return statement, titles

    return build


def _converted(filters: Filters, condition: ColumnElement[bool]) -> list[ColumnElement[bool]]:
    """``converted=1`` keeps the converted rows, ``converted=0`` the others."""
    value = filters.get("converted")
    if value is None:
        return []
    if value not in ("0", "1"):
        raise InvalidInputError("converted", "已转化应为 1 或 0")
    return [condition if value == "1" else not_(condition)]


def _recommendations(session: Session, scope: Scope, filters: Filters) -> tuple[Select[Any], list[str]]:
    """商品推荐 of the 复盘's conversion tables, with whether the buyer bought the SKU in time."""
    table = RECOMMENDATIONS
    converted = recommendation_converted(session, table)
    condition = _narrowed(
        [
            in_scope(scope, table, table.c.recommended_at),
            *_subjects(table, filters),
            *_converted(filters, converted),
        ],
        [(table.c.agent_id, _agent(filters)), (table.c.sku_code, filters.get("sku"))],
    )
    statement = (
        select(
            table.c.session_id,
            table.c.sku_code,
            table.c.source,
            table.c.recommended_at,
            converted,
            recommendation_amount(session, table),
        )
        .where(condition)
        .order_by(table.c.recommended_at, table.c.id)
    )
    return statement, ["商品", "来源", "推荐时间", "已成交", "成交金额"]


def _follow_ups(session: Session, scope: Scope, filters: Filters) -> tuple[Select[Any], list[str]]:
    """跟单 of the 复盘's conversion tables, with whether the order was paid in time."""
    table, orders = FOLLOW_UPS, ORDERS
    converted = follow_up_converted(session, table, orders)
    condition = _narrowed(
        [
            in_scope(scope, table, table.c.followed_at),
            *_subjects(table, filters),
            *_converted(filters, converted),
        ],
        [(table.c.agent_id, _agent(filters))],
    )
    statement = (
        select(
            table.c.order_id,
            orders.c.source_id,
            table.c.mode,
            table.c.followed_at,
            orders.c.paid_at,
            converted,
            orders.c.paid_fen,
        )
        .select_from(table.join(orders, orders.c.id == table.c.order_id))
        .where(condition)
        .order_by(table.c.followed_at, table.c.id)
    )
    return statement, ["订单号", "跟单方式", "跟单时间", "付款时间", "已挽回", "实付"]


BUILDERS: dict[str, Builder] = {
    "orders": _orders,
    "parcel_problems": _parcels,
    "tickets": _tickets,
    **{kind: _per_agent(kind) for kind in AGENT_SOURCES},
    "recommendations": _recommendations,
    "follow_ups": _follow_ups,
}
LINKS = {
    "orders": "/console/orders/{}",
    "parcel_problems": "/console/orders/{}",
    "tickets": "/console/tickets/{}",
    "chats": "/console/qc/sessions/{}",
    "invitations": "",
    "qc_results": "/console/qc/sessions/{}",
    "surveys": "",
    "recommendations": "/console/qc/sessions/{}",
    "follow_ups": "/console/orders/{}",
}


# Columns that hold a code, by the words a reader sees for it.
CODE_LABELS: dict[str, Mapping[str, str]] = {
    "平台": {str(p): label for p, label in PLATFORM_LABELS.items()},
    "快递": COURIERS,
    "类型": {str(t): label for t, label in TYPE_LABELS.items()},
    "状态": {str(s): label for s, label in STATUS_LABELS.items()},
    "接待方式": {str(h): h.label for h in Handling},
    "来源": {str(s): s.label for s in RecommendationSource},
    "跟单方式": {str(m): m.label for m in FollowUpMode},
}
SUBJECT_KINDS = {"chat": "会话", "order": "订单", "ticket": "工单"}


def _cell(value: Any, column: str) -> Any:
    """What a reader sees in a cell: money in yuan, Shanghai time, words for codes, 是/否, — for none."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if column in ("实付", "成交金额"):
        return yuan(value)
    if column == "整体满意度":
        return f"{value} 星"
    if hasattr(value, "tzinfo"):
        return format_local(value)
    if column in CODE_LABELS:
        return CODE_LABELS[column].get(str(value), value)
    if column == "评价对象":
        kind, _, key = str(value).partition(":")
        return f"{SUBJECT_KINDS.get(kind, kind)} {key.rpartition(':')[2]}"
    return value


def _filter_value(session: Session, key: str, value: str) -> str:
    """The agent's name, not 客服 5, the checkpoint's name; other filters are words or numbers already."""
    if key == "agent_id" and value.isdigit():
        return session.scalar(select(User.display_name).where(User.id == int(value))) or value
    if key == "checkpoint" and value in CHECKPOINTS:
        return CHECKPOINTS[value].name
    return value


def drill(
    session: Session, *, kind: str, scope: Scope, day: date | None = None, filters: Filters | None = None
) -> tuple[str, list[str], list[tuple[str, list[Any]]], int]:
    """Title, columns, (link, cells) rows (first ``LIMIT``) and the total count behind the number."""
    if kind not in BUILDERS:
        raise NotFoundError(f"没有这种明细: {kind}")
    filters = {k: v for k, v in (filters or {}).items() if k in FILTERS and v}
    statement, columns = BUILDERS[kind](session, _narrow(scope, day), filters)
    total = session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0
    rows = [
        (LINKS[kind].format(row[0]), [_cell(v, c) for v, c in zip(list(row)[1:], columns, strict=True)])
        for row in session.execute(statement.limit(LIMIT))
    ]
    described = "".join(f" · {FILTERS[k]} {_filter_value(session, k, v)}" for k, v in filters.items())
    title = KINDS[kind] + (f" · {day}" if day else "") + described
    return title, columns, rows, total
