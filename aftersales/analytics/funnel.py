"""漏斗分析 (seed 000): contacts → answered → tickets → resolved first time / later → rated → satisfied.

Each step is one GROUP BY in the database keyed by the chosen dimension; the page shows each step's
count and its share of the step before, so the largest drop is where customers fall out.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Table, and_, func, select
from sqlalchemy.orm import Session

from aftersales.analytics import charts, repository
from aftersales.analytics.dimensions import CHATS, DIMENSIONS, TICKETS, joined, key_expression
from aftersales.analytics.results import Analysis, DataTable, percent, rate
from aftersales.analytics.scope import Scope, local_day

SATISFIED_STARS = 4


@dataclass(frozen=True)
class Step:
    code: str
    label: str


STEPS = (
    Step("contacts", "进线咨询"),
    Step("answered", "人工接待"),
    Step("tickets", "生成工单"),
    Step("resolved_first", "首次解决"),
    Step("resolved_later", "后续解决"),
    Step("rated", "已评价"),
    Step("satisfied", "满意"),
)


def _count(
    session: Session,
    scope: Scope,
    table: Table,
    time_column: ColumnElement[Any],
    by: str | None,
    where: ColumnElement[bool] | None = None,
) -> dict[str, int] | None:
    """Rows per key of ``by``; ``None`` when the table has no such key (chats have no category)."""
    key, joins = key_expression(table, by)
    if key is None:
        return None
    statement = (
        select(key.label("key"), func.count())
        .select_from(joined(table, joins))
        .where(scope.within(time_column), scope.shop_filter(table))
        .group_by(key)
    )
    if where is not None:
        statement = statement.where(where)
    return {str(k) if k is not None else "未分配": int(n) for k, n in session.execute(statement)}


def _conversation_steps(session: Session, scope: Scope, by: str | None) -> dict[str, Any]:
    started = CHATS.c.started_at
    answered = CHATS.c.first_response_seconds.is_not(None)
    return {
        "contacts": _count(session, scope, CHATS, started, by),
        "answered": _count(session, scope, CHATS, started, by, answered),
    }


def _ticket_steps(session: Session, scope: Scope, by: str | None) -> dict[str, Any]:
    created, resolved, stars = TICKETS.c.created_at, TICKETS.c.resolved_at, TICKETS.c.rating_stars
    same_day = local_day(session, resolved) == local_day(session, created)
    first = and_(resolved.is_not(None), same_day, TICKETS.c.reopened_count == 0)
    later = and_(resolved.is_not(None), ~first)
    return {
        "tickets": _count(session, scope, TICKETS, created, by),
        "resolved_first": _count(session, scope, TICKETS, created, by, first),
        "resolved_later": _count(session, scope, TICKETS, created, by, later),
        "rated": _count(session, scope, TICKETS, created, by, stars.is_not(None)),
        "satisfied": _count(session, scope, TICKETS, created, by, stars >= SATISFIED_STARS),
    }


def _tickets_link(scope: Scope, category: str | None) -> str:
    """Drill-down to the tickets behind a funnel count, keeping the page's filters."""
    params = {**scope.query(), **({"category": category} if category else {})}
    return "/console/analytics/drill/tickets?" + urlencode(params)


def _chat_links(table: DataTable, scope: Scope, values: dict[str, int | None]) -> None:
    """进线咨询 and 人工接待 of the whole scope open the chats behind them."""
    row = len(table.rows) - 1
    codes = [s.code for s in STEPS]
    for code, extra in (("contacts", {}), ("answered", {"answered": "1"})):
        if values[code]:
            query = urlencode({**scope.query(), **extra})
            table.links[(row, 1 + codes.index(code))] = f"/console/analytics/drill/chats?{query}"


def funnel(session: Session, scope: Scope, *, by: str | None = None) -> Analysis:
    """The funnel for the scope, one row per value of ``by`` (or one 「全部」 row)."""
    repository.tune(session)
    steps = {**_conversation_steps(session, scope, by), **_ticket_steps(session, scope, by)}
    missing = []
    if by and any(v is None for v in steps.values()):
        missing.append(f"部分环节无法按{DIMENSIONS[by]}拆分,显示为「—」")
    keys = sorted({k for counts in steps.values() if counts for k in counts})
    columns = [DIMENSIONS.get(by or "", "范围")] + [s.label for s in STEPS] + ["首次解决率", "满意率"]
    table = DataTable("funnel", "服务漏斗", columns)
    for key in keys:
        counts = [
            (steps.get(s.code) or {}).get(key) if steps.get(s.code) is not None else None for s in STEPS
        ]
        values = dict(zip([s.code for s in STEPS], counts, strict=True))
        resolved = (values["resolved_first"] or 0) + (values["resolved_later"] or 0)
        table.rows.append(
            [
                key,
                *counts,
                percent(rate(values["resolved_first"], resolved)),
                percent(rate(values["satisfied"], values["rated"])),
            ]
        )
        if values["tickets"] and by in (None, "category"):
            column = 1 + [s.code for s in STEPS].index("tickets")
            table.links[(len(table.rows) - 1, column)] = _tickets_link(scope, key if by else None)
        if by is None:
            _chat_links(table, scope, values)
    analysis = Analysis("funnel", "漏斗分析", tables=[table], missing=missing)
    analysis.data["steps"] = {
        s.code: sum((steps.get(s.code) or {}).values()) if steps.get(s.code) is not None else None
        for s in STEPS
    }
    analysis.findings = drop_findings(analysis.data["steps"])
    shown = [(s.label, n) for s in STEPS if (n := analysis.data["steps"][s.code]) is not None]
    if any(n for _label, n in shown):
        analysis.charts.append(
            charts.bar_chart("漏斗各环节数量", [label for label, _n in shown], [n for _label, n in shown])
        )
    return analysis


def drop_findings(totals: dict[str, int | None]) -> list[str]:
    """Sentences naming the biggest drop between consecutive stages that have data.

    Not every contact needs a ticket, so contacts → tickets is not a drop; the stages compared are
    answered of contacts, resolved of tickets, rated of resolved, satisfied of rated.
    """
    first, later = totals.get("resolved_first"), totals.get("resolved_later")
    resolved = None if first is None and later is None else (first or 0) + (later or 0)
    pairs = [
        ("进线咨询", totals.get("contacts"), "人工接待", totals.get("answered")),
        ("生成工单", totals.get("tickets"), "已解决", resolved),
        ("已解决", resolved, "已评价", totals.get("rated")),
        ("已评价", totals.get("rated"), "满意", totals.get("satisfied")),
    ]
    drops = [(1 - b / a, before, after) for before, a, after, b in pairs if a and b is not None]
    if not drops:
        return []
    loss, before, after = max(drops)
    return [f"流失最大的环节:{before} → {after},流失 {loss:.0%}"]
