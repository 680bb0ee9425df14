"""接待效果 and 转化 (seed 001 §结合接待&转化效果): who answered the chats (bot only, bot then
an agent, an agent) per sub-account, how many inquiring buyers ordered within days of asking, and
the 商品推荐 and 跟单 conversions, counted with the conversations domain's own rules
(``conversations.conversion``) so the report and the 跟单 page agree."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Subquery, Table, and_, case, func, select
from sqlalchemy.orm import Session

from aftersales.analytics.dimensions import CHATS, SHOPS, USERS, subject_condition
from aftersales.analytics.report.attribution import Ranked
from aftersales.analytics.report.repository import Subject
from aftersales.analytics.repository import ORDERS
from aftersales.analytics.results import DataTable, number, percent, rate
from aftersales.analytics.scope import Scope
from aftersales.conversations.conversion import (
    follow_up_converted,
    follow_up_definition,
    recommendation_amount,
    recommendation_converted,
    recommendation_definition,
    windows_for,
)
from aftersales.conversations.models import Handling, OrderFollowUp, ProductRecommendation
from aftersales.kit.sqltime import seconds_between
from aftersales.web.render import yuan

WINDOW_DAYS = 3
DEFINITION = (
    f"询单转化率:范围内咨询过的买家中,在首次咨询后 {WINDOW_DAYS} 天内下单并付款的比例"
    "(按客服统计时,买家计入每位接待过他的客服);客单价:这些订单的平均实付"
)
# Per level: the chat's column naming the subject, the lookup table and its label column.
LOOKUPS = {"agent": (CHATS.c.agent_id, USERS, "display_name"), "shop": (CHATS.c.shop_id, SHOPS, "name")}


def agent_reception(session: Session, scope: Scope) -> tuple[DataTable, list[Ranked]]:
    """Per sub-account: chats, those an agent took over from the bot, first and average response."""
    transferred = func.count(case((CHATS.c.handling == Handling.TRANSFERRED, 1)))
    statement = (
        select(
            USERS.c.display_name,
            USERS.c.id,
            func.count(),
            transferred,
            func.avg(CHATS.c.first_response_seconds),
            func.avg(CHATS.c.avg_response_seconds),
        )
        .select_from(CHATS.join(USERS, USERS.c.id == CHATS.c.agent_id))
        .where(scope.within(CHATS.c.started_at), scope.shop_filter(CHATS))
        .group_by(USERS.c.display_name, USERS.c.id)
        .order_by(func.count().desc(), USERS.c.display_name)
    )
    table = DataTable(
        "reception_agents",
        "客服子账号接待",
        ["客服", "接待会话", "其中转人工", "平均首响(秒)", "平均响应(秒)"],
    )
    ranked = []
    for name, ident, n, moved, first, average in session.execute(statement):
        table.rows.append([name, n, moved, number(first), number(average)])
        if first is not None:
            ranked.append(Ranked(Subject("agent", name, str(ident)), float(first), int(n)))
    return table, ranked


def seconds(value: float) -> str:
    return f"{value:.1f} 秒"


def handling_causes(rows: list[tuple[str, int, Any]]) -> list[str]:
    """Bot-only and transferred shares of all chats: how much the bot carried and handed on."""
    total = sum(n for _h, n, _a in rows)
    counts = {h: n for h, n, _a in rows}
    bot_only, moved = counts.get(Handling.BOT_ONLY.value, 0), counts.get(Handling.TRANSFERRED.value, 0)
    if not total:
        return []
    handed = rate(moved, bot_only + moved)
    return [
        f"纯机器人接待 {percent(rate(bot_only, total))},机器人转人工 {percent(rate(moved, total))}"
        f"(机器人接起的会话中 {percent(handed)} 转了人工)"
    ]


def _asked(scope: Scope, key: ColumnElement[Any]) -> Subquery:
    """Each inquiring buyer per subject, with their first inquiry in the scope."""
    return (
        select(CHATS.c.customer_id, key.label("subject"), func.min(CHATS.c.started_at).label("first_at"))
        .where(scope.within(CHATS.c.started_at), scope.shop_filter(CHATS), CHATS.c.customer_id.is_not(None))
        .group_by(CHATS.c.customer_id, key)
        .subquery()
    )


def conversion_rows(session: Session, scope: Scope, level: str) -> list[tuple[str, int, int, int, int]]:
    """Per agent or shop: (name, buyers who asked, buyers who ordered in the window, their orders,
    the orders' paid fen)."""
    key, lookup, label = LOOKUPS[level]
    asked = _asked(scope, key)
    window = and_(
        ORDERS.c.customer_id == asked.c.customer_id,
        ORDERS.c.paid_at.is_not(None),
        ORDERS.c.ordered_at >= asked.c.first_at,
        seconds_between(session, ORDERS.c.ordered_at, asked.c.first_at) < WINDOW_DAYS * 86400,
    )
    orders = select(func.count()).where(window).scalar_subquery()
    paid = select(func.coalesce(func.sum(ORDERS.c.paid_fen), 0)).where(window).scalar_subquery()
    pairs = select(asked.c.subject, orders.label("orders"), paid.label("paid")).subquery()
    statement = (
        select(
            lookup.c[label],
            func.count(),
            func.count(case((pairs.c.orders > 0, 1))),
            func.sum(pairs.c.orders),
            func.sum(pairs.c.paid),
        )
        .select_from(pairs.outerjoin(lookup, lookup.c.id == pairs.c.subject))
        .group_by(lookup.c[label])
    )
    rows = [
        (str(name or "未分配"), int(n), int(won), int(o or 0), int(p or 0))
        for name, n, won, o, p in session.execute(statement)
    ]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def conversion_table(session: Session, scope: Scope, level: str) -> tuple[DataTable, list[Ranked]]:
    title = "客服" if level == "agent" else "店铺"
    table = DataTable(
        f"conversion_{level}",
        f"按{title}的询单转化",
        [title, "咨询买家", "下单买家", "询单转化率", "订单数", "客单价"],
    )
    table.note = DEFINITION
    ranked = []
    for name, asked, won, orders, paid in conversion_rows(session, scope, level):
        per_order = yuan(paid // orders) if orders else "—"
        table.rows.append([name, asked, won, percent(rate(won, asked)), orders, per_order])
        if name != "未分配":
            ranked.append(Ranked(Subject(level, name, name), rate(won, asked) or 0.0, asked))
    return table, ranked


RECOMMENDATIONS = cast(Table, ProductRecommendation.__table__)
FOLLOW_UPS = cast(Table, OrderFollowUp.__table__)
DRILL = "/console/analytics/drill/{}"


@dataclass(frozen=True)
class Outcome:
    """One subject's 商品推荐 or 跟单 figures: how many, how many converted, the amount won."""

    subject: Subject
    total: int
    won: int
    fen: int

    @property
    def rate(self) -> float | None:
        return rate(self.won, self.total)


def in_scope(scope: Scope, table: Table, time: ColumnElement[Any]) -> ColumnElement[bool]:
    """The range, and the shop or platform (these tables carry the shop, not the platform)."""
    conditions = [scope.within(time), scope.shop_filter(table)]
    if scope.platform:
        conditions.append(subject_condition(table, "platform", scope.platform.value))
    return and_(*conditions)


def _outcomes(session: Session, level: str, rows: Subquery) -> list[Outcome]:
    """``rows`` (subject, won 0/1, fen) summed per subject, named through the lookup table."""
    _key, lookup, label = LOOKUPS[level]
    statement = (
        select(lookup.c[label], rows.c.subject, func.count(), func.sum(rows.c.won), func.sum(rows.c.fen))
        .select_from(rows.outerjoin(lookup, lookup.c.id == rows.c.subject))
        .group_by(lookup.c[label], rows.c.subject)
    )
    found = [
        Outcome(
            Subject(level, str(name), str(ident)) if ident is not None else Subject(level, "未分配", None),
            int(n),
            int(won or 0),
            int(fen or 0),
        )
        for name, ident, n, won, fen in session.execute(statement)
    ]
    return sorted(found, key=lambda o: (-o.total, o.subject.name))


def recommendation_outcomes(session: Session, scope: Scope, level: str) -> list[Outcome]:
    """Per agent or shop: recommendations in the range, those bought in the window, the amount."""
    table = RECOMMENDATIONS
    key = table.c.agent_id if level == "agent" else table.c.shop_id
    converted = recommendation_converted(session, table)
    rows = (
        select(
            key.label("subject"),
            case((converted, 1), else_=0).label("won"),
            recommendation_amount(session, table).label("fen"),
        )
        .where(in_scope(scope, table, table.c.recommended_at))
        .subquery()
    )
    return _outcomes(session, level, rows)


def follow_up_outcomes(session: Session, scope: Scope, level: str) -> list[Outcome]:
    """Per agent or shop: follow-ups in the range, orders paid in the window, their paid amount."""
    table = FOLLOW_UPS
    key = table.c.agent_id if level == "agent" else table.c.shop_id
    converted = follow_up_converted(session, table, ORDERS)
    rows = (
        select(
            key.label("subject"),
            case((converted, 1), else_=0).label("won"),
            case((converted, ORDERS.c.paid_fen), else_=0).label("fen"),
        )
        .select_from(table.join(ORDERS, ORDERS.c.id == table.c.order_id))
        .where(in_scope(scope, table, table.c.followed_at))
        .subquery()
    )
    return _outcomes(session, level, rows)


# kind -> (builder, drill kind, table title, columns after the subject, definition)
OUTCOME_KINDS: dict[str, tuple[Callable[[Session, Scope, str], list[Outcome]], str, str, list[str]]] = {
    "recommendation": (
        recommendation_outcomes,
        "recommendations",
        "商品推荐转化",
        ["推荐数", "成交推荐", "推荐转化率", "转化金额"],
    ),
    "follow_up": (
        follow_up_outcomes,
        "follow_ups",
        "跟单挽回转化",
        ["跟单数", "挽回订单", "跟单挽回率", "挽回金额"],
    ),
}


def outcome_table(
    session: Session, scope: Scope, kind: str, level: str, definition: str
) -> tuple[DataTable, list[Outcome]]:
    """One table per kind and level; the counts open the rows behind them (converted or all)."""
    build, drill_kind, title, columns = OUTCOME_KINDS[kind]
    name = "客服" if level == "agent" else "店铺"
    table = DataTable(f"{kind}_{level}", f"按{name}的{title}", [name, *columns])
    table.note = definition
    outcomes = build(session, scope, level)
    for r, outcome in enumerate(outcomes):
        table.rows.append(
            [outcome.subject.name, outcome.total, outcome.won, percent(outcome.rate), yuan(outcome.fen)]
        )
        if outcome.subject.ident is not None:
            query = {**scope.query(), **outcome.subject.drill()}
            table.links[(r, 1)] = DRILL.format(drill_kind) + "?" + urlencode(query)
            table.links[(r, 2)] = DRILL.format(drill_kind) + "?" + urlencode({**query, "converted": "1"})
    return table, outcomes


def ranked(outcomes: list[Outcome]) -> list[Ranked]:
    return [Ranked(o.subject, o.rate or 0.0, o.total) for o in outcomes if o.subject.ident is not None]


def definitions(session: Session, scope: Scope) -> tuple[str, str]:
    """The two definitions with the windows of the scope's shop, or the general wording."""
    windows = windows_for(session, scope.shop_id) if scope.shop_id else None
    return (
        recommendation_definition(windows.recommendation_days if windows else None),
        follow_up_definition(windows.follow_up_hours if windows else None),
    )
