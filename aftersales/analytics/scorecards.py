"""Scorecards per platform / shop / group / agent, targets (考核值) and below-target alerts.

One grouped query per source table (conversations, tickets, rating invitations, QC results) gives
every metric of every subject at once; targets come from ``analytics_metric_targets`` with the
seed-004 standards (首响 < 20 秒, 满意度 > 90%) as built-in defaults.
"""

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Select, Table, and_, case, func, literal, select, union_all
from sqlalchemy.orm import Session

from aftersales.analytics import charts, repository
from aftersales.analytics.dimensions import (
    CHATS,
    DIMENSIONS,
    INVITATIONS,
    QC_RESULTS,
    SHOPS,
    TICKETS,
    USERS,
    agent_column,
    joined,
    key_expression,
)
from aftersales.analytics.repository import response_seconds
from aftersales.analytics.results import Analysis, DataTable, number, percent, rate
from aftersales.analytics.scope import Scope, local_day_key

LEVELS = ("agent", "group", "shop", "platform")


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    higher_is_better: bool
    is_rate: bool = False

    def format(self, value: float | None) -> str:
        return percent(value) if self.is_rate else number(value)

    def below(self, actual: float, target: float) -> bool:
        return actual < target if self.higher_is_better else actual > target


METRICS = {
    m.code: m
    for m in (
        Metric("receptions", "接待量", True),
        Metric("first_response", "平均首响(秒)", False),
        Metric("avg_response", "平均响应(秒)", False),
        Metric("tickets", "工单量", True),
        Metric("ticket_first_response", "工单首响(分钟)", False),
        Metric("fcr", "首次解决率", True, is_rate=True),
        Metric("sla_breaches", "SLA超时", False),
        Metric("invite_rate", "邀评率", True, is_rate=True),
        Metric("rating_rate", "评价率", True, is_rate=True),
        Metric("satisfaction_rate", "满意率", True, is_rate=True),
        Metric("negative_rate", "差评率", False, is_rate=True),
        Metric("qc_score", "质检分", True),
    )
}
# Seed 004: 在线客服首次响应时间 < 20 秒,满意度 > 90%.
DEFAULT_TARGETS = {"first_response": 20.0, "satisfaction_rate": 0.9}
MIN_SAMPLE = 5


@dataclass
class Subject:
    key: str
    agent_id: int | None = None
    # The shop or group id behind the key (shop and group levels), for the drill-down links.
    subject_id: int | None = None
    values: dict[str, float | None] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)


def _keys(table: Table, level: str) -> tuple[list[ColumnElement[Any]], Any]:
    """Key columns (group or platform label) and the FROM clause for one source table."""
    key, joins = key_expression(table, level)
    assert key is not None  # every scorecard level keys every source
    columns: list[ColumnElement[Any]] = [key.label("key"), literal(None).label("agent_id")]
    if level == "group":
        # The group table is the last lookup; min() keeps one row per group name, as before.
        columns.append(func.min(joins[-1][0].c.id).label("subject_id"))
    return columns, joined(table, joins)


def _grouped(
    foreign_key: ColumnElement[Any],
    where: list[ColumnElement[bool]],
    aggregates: dict[str, ColumnElement[Any]],
) -> Select[Any]:
    return (
        select(foreign_key.label("fk"), *(value.label(name) for name, value in aggregates.items()))
        .where(*where)
        .group_by(foreign_key)
    )


def _by_foreign_key(
    table: Table,
    level: str,
    where: list[ColumnElement[bool]],
    aggregates: dict[str, ColumnElement[Any]],
) -> Select[Any]:
    """Agents and shops are a foreign key of every source table: aggregate by the integer key
    first and look the label up afterwards, so the join touches one row per subject, not one per case."""
    if level == "agent":
        foreign_key, lookup, label = agent_column(table), USERS, "display_name"
        # Per known agent, then the unassigned: each half reads the agent-first covering index
        # (migration 0702) one agent's range at a time, already in GROUP BY order, with no sort.
        known = _grouped(foreign_key, [*where, foreign_key.in_(select(lookup.c.id))], aggregates)
        inner = union_all(
            known, _grouped(foreign_key, [*where, foreign_key.is_(None)], aggregates)
        ).subquery()
    else:
        foreign_key, lookup, label = table.c.shop_id, SHOPS, "name"
        inner = _grouped(foreign_key, where, aggregates).subquery()
    subject = inner.c.fk if level == "agent" else literal(None)
    return select(
        lookup.c[label].label("key"),
        subject.label("agent_id"),
        inner.c.fk.label("subject_id"),
        *(inner.c[name] for name in aggregates),
    ).select_from(inner.outerjoin(lookup, lookup.c.id == inner.c.fk))


def _aggregate(
    session: Session,
    scope: Scope,
    table: Table,
    time_column: ColumnElement[Any],
    level: str,
    aggregates: dict[str, ColumnElement[Any]],
) -> list[dict[str, Any]]:
    where = [scope.within(time_column), scope.shop_filter(table)]
    if level in ("agent", "shop"):
        statement = _by_foreign_key(table, level, where, aggregates)
    else:
        columns, source = _keys(table, level)
        statement = (
            select(*columns, *(value.label(name) for name, value in aggregates.items()))
            .select_from(source)
            .where(*where)
            .group_by(*columns[:1])
        )
    return [dict(row._mapping) for row in session.execute(statement)]


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """Rows where ``condition`` holds: ``count`` of a CASE without ELSE, a little less work per row
    on SQLite than summing 1s and 0s (the same number: groups are never empty). For "column is not
    null" use ``count(column)``."""
    return func.count(case((condition, 1)))


def _ticket_metrics(session: Session, scope: Scope, level: str) -> list[dict[str, Any]]:
    tickets = TICKETS
    resolved = tickets.c.resolved_at.is_not(None)
    same_day = local_day_key(session, tickets.c.resolved_at) == local_day_key(session, tickets.c.created_at)
    first = and_(resolved, same_day, tickets.c.reopened_count == 0)
    waited = response_seconds(session, tickets.c.first_responded_at, tickets.c.created_at) / 60
    rows = _aggregate(
        session,
        scope,
        tickets,
        tickets.c.created_at,
        level,
        {
            "tickets": func.count(),
            "ticket_first_response": func.avg(waited),
            "responded": func.count(tickets.c.first_responded_at),
            "first": _count_if(first),
            "resolved": func.count(tickets.c.resolved_at),
            "sla_breaches": _count_if(tickets.c.sla_breached.is_(True)),
        },
    )
    for row in rows:
        row["fcr"] = rate(row.pop("first"), row["resolved"])
        row["_samples"] = {
            "fcr": row.pop("resolved") or 0,
            "ticket_first_response": row.pop("responded") or 0,
        }
    return rows


def _rating_metrics(session: Session, scope: Scope, level: str) -> list[dict[str, Any]]:
    invitations = INVITATIONS
    stars = func.coalesce(invitations.c.final_stars, invitations.c.stars)
    rows = _aggregate(
        session,
        scope,
        invitations,
        invitations.c.eligible_at,
        level,
        {
            "eligible": func.count(),
            "invited": func.count(invitations.c.invited_at),
            "rated": func.count(invitations.c.stars),
            "satisfied": _count_if(stars >= 4),
            "negative": _count_if(stars <= 2),
        },
    )
    for row in rows:
        row["invite_rate"] = rate(row["invited"], row["eligible"])
        row["rating_rate"] = rate(row["rated"], row["invited"])
        row["satisfaction_rate"] = rate(row["satisfied"], row["rated"])
        row["negative_rate"] = rate(row["negative"], row["rated"])
        row["_samples"] = {
            "invite_rate": row.pop("eligible") or 0,
            "rating_rate": row.pop("invited") or 0,
            "satisfaction_rate": row["rated"] or 0,
            "negative_rate": row.pop("rated") or 0,
        }
        del row["satisfied"], row["negative"]
    return rows


def _conversation_metrics(session: Session, scope: Scope, level: str) -> list[dict[str, Any]]:
    chats = CHATS
    aggregates: dict[str, ColumnElement[Any]] = {
        "receptions": func.count(),
        "first_response": func.avg(chats.c.first_response_seconds),
        "responded": func.count(chats.c.first_response_seconds),
        "avg_response": func.avg(chats.c.avg_response_seconds),
    }
    rows = _aggregate(session, scope, chats, chats.c.started_at, level, aggregates)
    for row in rows:
        row["_samples"] = {"first_response": row.pop("responded", 0) or 0, "avg_response": row["receptions"]}
    return rows


def _qc_metrics(session: Session, scope: Scope, level: str) -> list[dict[str, Any]]:
    results = QC_RESULTS
    aggregates: dict[str, ColumnElement[Any]] = {"qc_score": func.avg(results.c.score), "n": func.count()}
    rows = _aggregate(session, scope, results, results.c.started_at, level, aggregates)
    for row in rows:
        row["_samples"] = {"qc_score": row.pop("n") or 0}
    return rows


def target_of(targets: dict[str, dict[str, float]], subject: str, metric: str) -> float | None:
    """The subject's own target, else the level default ("")."""
    return targets.get(subject, {}).get(metric, targets.get("", {}).get(metric))


SOURCES = (_conversation_metrics, _ticket_metrics, _rating_metrics, _qc_metrics)


def compute(session: Session, scope: Scope, *, level: str = "agent") -> list[Subject]:
    """Every metric of every subject of ``level`` in the scope."""
    repository.tune(session)
    if level not in LEVELS:
        raise ValueError(f"未知层级: {level}")
    subjects: dict[str, Subject] = {}
    for source in SOURCES:
        for row in source(session, scope, level):
            key = str(row.pop("key") or "未分配")
            subject = subjects.setdefault(key, Subject(key))
            subject.agent_id = subject.agent_id or row.pop("agent_id", None)
            subject.subject_id = subject.subject_id or row.pop("subject_id", None)
            row.pop("agent_id", None)
            row.pop("subject_id", None)
            samples = row.pop("_samples", {})
            for code, value in row.items():
                if code in METRICS:
                    subject.values[code] = None if value is None else float(value)
                    subject.samples[code] = samples.get(code, int(subject.values.get("tickets") or 0))
    return sorted(subjects.values(), key=lambda s: s.key)


def scorecards(
    session: Session,
    scope: Scope,
    *,
    level: str = "agent",
    targets: dict[str, dict[str, float]] | None = None,
) -> Analysis:
    """The scorecard table; cells below target are listed in ``data["below"]`` for highlighting."""
    subjects = compute(session, scope, level=level)
    shown = [m for m in METRICS.values() if any(m.code in s.values for s in subjects)]
    table = DataTable("scorecard", f"{DIMENSIONS[level]}考核", [DIMENSIONS[level], *(m.label for m in shown)])
    below: set[tuple[int, int]] = set()
    for r, subject in enumerate(subjects):
        table.rows.append([subject.key, *(m.format(subject.values.get(m.code)) for m in shown)])
        for c, metric in enumerate(shown, start=1):
            value = subject.values.get(metric.code)
            target = target_of(targets, subject.key, metric.code) if targets else None
            if value is not None and target is not None and metric.below(value, target):
                below.add((r, c))
    _drill_links(table, scope, level, subjects, shown)
    analysis = Analysis("scorecards", "考核看板", tables=[table])
    analysis.charts = _charts(subjects)
    analysis.data.update(below=below, subjects=subjects, metrics=shown)
    return analysis


# The rows behind each metric: chats, tickets, rating invitations or QC results of the agent.
DRILL_KINDS = {
    "receptions": "chats",
    "first_response": "chats",
    "avg_response": "chats",
    "tickets": "tickets",
    "ticket_first_response": "tickets",
    "fcr": "tickets",
    "sla_breaches": "tickets",
    "invite_rate": "invitations",
    "rating_rate": "invitations",
    "satisfaction_rate": "invitations",
    "negative_rate": "invitations",
    "qc_score": "qc_results",
}
CHARTED = ("receptions", "first_response", "satisfaction_rate")


def drill_filter(level: str, subject: Subject) -> dict[str, str] | None:
    """The drill-down filter (``drill.FILTERS``) selecting the rows a subject was counted from.

    ``None`` for subjects without one (未分配, a group code without a group): their rows are the
    ones lacking a key, which no filter names.
    """
    if level == "agent":
        return None if subject.agent_id is None else {"agent_id": str(subject.agent_id)}
    if level in ("shop", "group"):
        return None if subject.subject_id is None else {f"{level}_id": str(subject.subject_id)}
    return None if subject.key == "未分配" else {"shop_platform": subject.key}


def _drill_links(
    table: DataTable, scope: Scope, level: str, subjects: list[Subject], shown: list[Metric]
) -> None:
    for r, subject in enumerate(subjects):
        narrowed = drill_filter(level, subject)
        if narrowed is None:
            continue
        query = urlencode({**scope.query(), **narrowed})
        for c, metric in enumerate(shown, start=1):
            if subject.values.get(metric.code) is not None:
                table.links[(r, c)] = f"/console/analytics/drill/{DRILL_KINDS[metric.code]}?{query}"


def _charts(subjects: list[Subject], most: int = 15) -> list[str]:
    """One bar chart per headline metric, the subjects with the most cases first."""
    result = []
    for code in CHARTED:
        ranked = sorted(
            (s for s in subjects if s.values.get(code) is not None), key=lambda s: -s.samples.get(code, 0)
        )[:most]
        if ranked:
            metric = METRICS[code]
            values = [float(s.values[code] or 0) * (100 if metric.is_rate else 1) for s in ranked]
            label = f"{metric.label}(%)" if metric.is_rate else metric.label
            result.append(charts.bar_chart(label, [s.key for s in ranked], values, horizontal=True))
    return result
