"""The 复盘 report's own queries: QC results, alerts, ratings, surveys and complaints per platform,
shop, group or agent, aggregated in the database; the lead's saved actions."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, exists, or_, select
from sqlalchemy.orm import Session

from aftersales.analytics.dimensions import (
    CHATS,
    DIMENSIONS,
    GROUPS,
    INVITATIONS,
    QC_RESULTS,
    SHOPS,
    SURVEY_ANSWERS,
    SURVEYS,
    TICKETS,
    USERS,
    joined,
    key_expression,
)
from aftersales.analytics.models import ReportAction
from aftersales.analytics.scope import Scope
from aftersales.catalog.models import PLATFORM_LABELS, Platform
from aftersales.qc.models import QcAlert, QcFinding
from aftersales.tickets.models import TicketType

FINDINGS = cast(Table, QcFinding.__table__)
QC_ALERTS = cast(Table, QcAlert.__table__)
COMPLAINT_TICKETS = TICKETS.alias("complaint_tickets")
# Platform, shop, group, agent: the seed's 分平台/店铺/小组/客服, widest first.
LEVELS = ("platform", "shop", "group", "agent")
SUBJECT_IDS: dict[str, ColumnElement[Any]] = {
    "platform": SHOPS.c.platform,
    "shop": SHOPS.c.id,
    "group": GROUPS.c.id,
    "agent": USERS.c.id,
}
# The drill-down filter (``drill.FILTERS``) that opens a subject's own rows.
SUBJECT_FILTERS = {"platform": "shop_platform", "shop": "shop_id", "group": "group_id", "agent": "agent_id"}


@dataclass(frozen=True)
class Subject:
    """One platform, shop, group or agent: its level, the name a reader sees and its filter value."""

    level: str
    name: str
    ident: str | None

    @property
    def level_label(self) -> str:
        return DIMENSIONS[self.level]

    def drill(self) -> dict[str, str]:
        return {} if self.ident is None else {SUBJECT_FILTERS[self.level]: self.ident}


def _subject(level: str, key: Any, ident: Any) -> Subject:
    if key is None:
        return Subject(level, "未分配", None)
    name = PLATFORM_LABELS[Platform(str(key))] if level == "platform" else str(key)
    return Subject(level, name, None if ident is None else str(getattr(ident, "value", ident)))


def per_subject(
    session: Session,
    scope: Scope,
    base: Table,
    level: str,
    values: Mapping[str, ColumnElement[Any]],
    *,
    time: ColumnElement[Any],
    join: tuple[Table, ColumnElement[bool]] | None = None,
    where: tuple[ColumnElement[bool], ...] = (),
    by: Mapping[str, ColumnElement[Any]] | None = None,
) -> list[tuple[Subject, dict[str, Any]]]:
    """``values`` aggregated per subject of ``level`` (and per ``by`` key) over ``base`` in scope."""
    key, joins = key_expression(base, level)
    assert key is not None  # every level keys chats and QC results
    source = joined(base, joins)
    if join is not None:
        source = source.join(*join)
    keys = [key.label("key"), SUBJECT_IDS[level].label("ident"), *(c.label(n) for n, c in (by or {}).items())]
    statement = (
        select(*keys, *(v.label(n) for n, v in values.items()))
        .select_from(source)
        .where(scope.within(time), scope.shop_filter(base), *where)
        .group_by(*keys)
    )
    rows = []
    for row in session.execute(statement):
        fields = dict(row._mapping)
        rows.append((_subject(level, fields.pop("key"), fields.pop("ident")), fields))
    return rows


def qc_rows(
    session: Session,
    scope: Scope,
    level: str,
    values: Mapping[str, ColumnElement[Any]],
    *,
    failed_findings: bool = False,
    where: tuple[ColumnElement[bool], ...] = (),
    by: Mapping[str, ColumnElement[Any]] | None = None,
) -> list[tuple[Subject, dict[str, Any]]]:
    """QC results per subject, or their failed checkpoints (``failed_findings``) per subject."""
    join = (FINDINGS, FINDINGS.c.session_id == QC_RESULTS.c.session_id) if failed_findings else None
    extra = (FINDINGS.c.final_passed.is_(False),) if failed_findings else ()
    return per_subject(
        session,
        scope,
        QC_RESULTS,
        level,
        values,
        time=QC_RESULTS.c.started_at,
        join=join,
        where=(*extra, *where),
        by=by,
    )


def alert_rows(
    session: Session,
    scope: Scope,
    level: str,
    values: Mapping[str, ColumnElement[Any]],
    *,
    kinds: bool = False,
) -> list[tuple[Subject, dict[str, Any]]]:
    """QC alerts per subject and alert level, counted by their chat's start.

    An alert's ``raised_at`` is when QC read the chat (an import of past chats raises them all
    today); the report asks about the chats of its period, so the chat's start decides. With
    ``kinds`` the rows are also split by the alert's risk kinds.
    """
    by: dict[str, ColumnElement[Any]] = {"alert_level": QC_ALERTS.c.level}
    if kinds:
        by["kinds"] = QC_ALERTS.c.kinds
    return per_subject(
        session,
        scope,
        CHATS,
        level,
        values,
        time=CHATS.c.started_at,
        join=(QC_ALERTS, QC_ALERTS.c.session_id == CHATS.c.id),
        by=by,
    )


def alert_kinds(session: Session, scope: Scope) -> list[tuple[str, list[str], bool]]:
    """Each alert of the period's chats: its level, its risk kinds and whether it was closed."""
    statement = (
        select(QC_ALERTS.c.level, QC_ALERTS.c.kinds, QC_ALERTS.c.closed_at.is_not(None))
        .select_from(QC_ALERTS.join(CHATS, CHATS.c.id == QC_ALERTS.c.session_id))
        .where(scope.within(CHATS.c.started_at), scope.shop_filter(CHATS))
    )
    return [
        (str(level), list(kinds or []), bool(closed)) for level, kinds, closed in session.execute(statement)
    ]


def complained() -> ColumnElement[bool]:
    """A QC'd chat whose customer complained: a complaint ticket on the chat or on its order."""
    tickets = COMPLAINT_TICKETS
    return exists().where(
        CHATS.c.id == QC_RESULTS.c.session_id,
        tickets.c.type == TicketType.COMPLAINT,
        or_(
            tickets.c.id == CHATS.c.ticket_id,
            and_(CHATS.c.order_id.is_not(None), tickets.c.order_id == CHATS.c.order_id),
        ),
    )


def invitation_rows(
    session: Session, scope: Scope, level: str, values: Mapping[str, ColumnElement[Any]]
) -> list[tuple[Subject, dict[str, Any]]]:
    """Rated invitations per subject, by when the customer became eligible (as the scorecard counts)."""
    rated = (INVITATIONS.c.stars.is_not(None),)
    return per_subject(
        session, scope, INVITATIONS, level, values, time=INVITATIONS.c.eligible_at, where=rated
    )


def survey_rows(
    session: Session,
    scope: Scope,
    level: str,
    values: Mapping[str, ColumnElement[Any]],
    *,
    answers: bool = False,
    where: tuple[ColumnElement[bool], ...] = (),
    by: Mapping[str, ColumnElement[Any]] | None = None,
) -> list[tuple[Subject, dict[str, Any]]]:
    """Answered satisfaction surveys per subject, by when they were answered (as their drill-down
    lists them); with ``answers`` one row per answer, so ``by`` may name the question."""
    join = (SURVEY_ANSWERS, SURVEY_ANSWERS.c.invitation_id == SURVEYS.c.id) if answers else None
    return per_subject(
        session, scope, SURVEYS, level, values, time=SURVEYS.c.answered_at, join=join, where=where, by=by
    )


def ticket_rows(
    session: Session,
    scope: Scope,
    values: Mapping[str, ColumnElement[Any]],
    *,
    by: Mapping[str, ColumnElement[Any]],
    where: tuple[ColumnElement[bool], ...] = (),
) -> list[dict[str, Any]]:
    """Tickets opened in the period grouped by ``by``."""
    keys = [c.label(n) for n, c in by.items()]
    statement = (
        select(*keys, *(v.label(n) for n, v in values.items()))
        .where(scope.within(TICKETS.c.created_at), scope.shop_filter(TICKETS), *where)
        .group_by(*keys)
    )
    return [dict(row._mapping) for row in session.execute(statement)]


def _report_key(scope: Scope) -> tuple[date, date, str, int]:
    return scope.start, scope.end, scope.platform.value if scope.platform else "", scope.shop_id or 0


def _of_report(scope: Scope) -> tuple[ColumnElement[bool], ...]:
    start, end, platform, shop_id = _report_key(scope)
    return (
        ReportAction.period_start == start,
        ReportAction.period_end == end,
        ReportAction.platform == platform,
        ReportAction.shop_id == shop_id,
    )


def saved_actions(session: Session, scope: Scope) -> dict[str, str]:
    """The lead's edited action per section of this report."""
    statement = select(ReportAction.section, ReportAction.text).where(*_of_report(scope))
    return {str(section): str(text) for section, text in session.execute(statement)}


def saved_action(session: Session, scope: Scope, section: str) -> ReportAction | None:
    return session.scalar(select(ReportAction).where(*_of_report(scope), ReportAction.section == section))


def new_action(scope: Scope, section: str, text: str, user_id: int | None) -> ReportAction:
    start, end, platform, shop_id = _report_key(scope)
    return ReportAction(
        period_start=start,
        period_end=end,
        platform=platform,
        shop_id=shop_id,
        section=section,
        text=text,
        updated_by_id=user_id,
    )
