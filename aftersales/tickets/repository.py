"""Every query of the tickets domain.

The queue's SLA state is one ``CASE`` over stored deadlines, evaluated by the database for the
whole page; SLA filters are range conditions on ``(status, sla_due_at)``, which the index covers.
"""

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from aftersales.orders.models import Order
from aftersales.tickets.models import (
    QUEUE_END,
    FeedbackItem,
    FeedbackStatus,
    Handoff,
    Ticket,
    TicketStatus,
    TimelineEntry,
)

S = TicketStatus
ACTIVE_CLOCK = (S.NEW, S.IN_PROGRESS, S.WAITING_INTERNAL)


class SlaState(enum.StrEnum):
    BREACHED = "breached"
    AT_RISK = "at_risk"
    OK = "ok"
    PAUSED = "paused"
    DONE = "done"
    NONE = "none"

    @property
    def label(self) -> str:
        return SLA_LABELS[self]


SLA_LABELS = {
    SlaState.BREACHED: "已超时",
    SlaState.AT_RISK: "即将超时",
    SlaState.OK: "正常",
    SlaState.PAUSED: "已暂停",
    SlaState.DONE: "已完成",
    SlaState.NONE: "无时限",
}


class QueueSort(enum.StrEnum):
    SLA = "sla"
    PRIORITY = "priority"
    CREATED = "created"
    UPDATED = "updated"


def sla_state(now: datetime) -> ColumnElement[str]:
    """The SLA state of every row, computed by the database from the stored deadlines."""
    return case(
        (Ticket.status.in_((S.RESOLVED, S.CLOSED)), SlaState.DONE.value),
        (Ticket.status == S.WAITING_CUSTOMER, SlaState.PAUSED.value),
        (Ticket.sla_due_at.is_(None), SlaState.NONE.value),
        (Ticket.sla_due_at <= now, SlaState.BREACHED.value),
        (Ticket.sla_warn_at <= now, SlaState.AT_RISK.value),
        else_=SlaState.OK.value,
    )


def sla_condition(state: SlaState, now: datetime) -> ColumnElement[bool]:
    """The same states as range conditions on ``queue_at`` (the running deadline of an open
    ticket; paused and clock-less ones sit at ``QUEUE_END``), so filters read the queue indexes."""
    if state == SlaState.BREACHED:
        return Ticket.queue_at <= now
    if state == SlaState.AT_RISK:
        # Counted from the warn-mark indexes (few tickets are past their warn mark), paged from
        # the queue_at order (the at-risk ones come right after ``now``).
        return and_(Ticket.queue_at > now, Ticket.sla_warn_at <= now)
    if state == SlaState.OK:
        return and_(
            Ticket.queue_at > now,
            Ticket.queue_at < QUEUE_END,
            or_(Ticket.sla_warn_at.is_(None), Ticket.sla_warn_at > now),
        )
    if state == SlaState.PAUSED:
        return Ticket.status == S.WAITING_CUSTOMER
    if state == SlaState.DONE:
        return Ticket.status.in_((S.RESOLVED, S.CLOSED))
    return and_(Ticket.queue_at == QUEUE_END, Ticket.status != S.WAITING_CUSTOMER)


@dataclass
class QueueFilter:
    statuses: list[TicketStatus] | None = None
    sla: SlaState | None = None
    shift_id: int | None = None
    group_id: int | None = None
    assignee_id: int | None = None
    handed_to: int | None = None
    mine: int | None = None  # assigned to this user, or handed to them and not yet taken over
    follow_up_due: bool = False
    type: str | None = None
    category: str | None = None
    shop_id: int | None = None
    q: str | None = None
    sort: QueueSort = QueueSort.SLA
    descending: bool = False


def queue(f: QueueFilter, *, now: datetime) -> Select[Ticket, str]:
    """Tickets with their SLA state; open tickets unless statuses are given."""
    statement = select(Ticket, sla_state(now).label("sla_state"))
    for condition in _conditions(f, now):
        statement = statement.where(condition)
    return statement.order_by(*_ordering(f))


def _conditions(f: QueueFilter, now: datetime) -> list[ColumnElement[bool]]:
    if f.statuses:
        conditions: list[ColumnElement[bool]] = [Ticket.status.in_(f.statuses)]
    else:
        conditions = [Ticket.is_open.is_(True)]
    if f.sla is not None:
        conditions.append(sla_condition(f.sla, now))
    for column, value in (
        (Ticket.shift_id, f.shift_id),
        (Ticket.group_id, f.group_id),
        (Ticket.assignee_id, f.assignee_id),
        (Ticket.type, f.type),
        (Ticket.category, f.category),
        (Ticket.shop_id, f.shop_id),
    ):
        if value is not None:
            conditions.append(column == value)
    if f.handed_to is not None:
        pending = select(Handoff.ticket_id).where(
            Handoff.to_user_id == f.handed_to, Handoff.acknowledged_at.is_(None)
        )
        conditions.append(Ticket.id.in_(pending))
    if f.mine is not None:
        handed = select(Handoff.ticket_id).where(
            Handoff.to_user_id == f.mine, Handoff.acknowledged_at.is_(None)
        )
        conditions.append(or_(Ticket.assignee_id == f.mine, Ticket.id.in_(handed)))
    if f.follow_up_due:
        conditions.append(Ticket.follow_up_at <= now)
    if f.q:
        conditions.append(_search(f.q))
    return conditions


def _search(q: str) -> ColumnElement[bool]:
    """Ticket number, title words, or the platform order number."""
    text = q.strip().lstrip("#")
    options: list[ColumnElement[bool]] = [Ticket.title.contains(text)]
    if text.isdigit() and len(text) < 10:
        options.append(Ticket.id == int(text))
    options.append(Ticket.order_id.in_(select(Order.id).where(Order.source_id == text)))
    return or_(*options)


def _ordering(f: QueueFilter) -> list[Any]:
    if f.sort == QueueSort.SLA:
        key: list[Any] = [Ticket.queue_at]
        if not f.descending:
            # Due follow-ups first (stored rank, set by the follow-up job), then by deadline.
            return [Ticket.queue_rank, *key, Ticket.id]
    elif f.sort == QueueSort.PRIORITY:
        key = [Ticket.priority, Ticket.queue_at]
    elif f.sort == QueueSort.CREATED:
        key = [Ticket.created_at]
    else:
        key = [Ticket.updated_at]
    if f.descending:
        key = [k.desc() for k in key]
    return [*key, Ticket.id]


def sla_counts(session: Session, *, now: datetime, group_id: int | None = None) -> dict[str, int]:
    """Open tickets per SLA state for the queue header: one indexed count per state (a GROUP BY
    over the CASE would read every open ticket); "ok" is what is left."""
    base = [Ticket.is_open.is_(True)] + ([Ticket.group_id == group_id] if group_id is not None else [])

    def count(*conditions: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count()).select_from(Ticket).where(*base, *conditions)) or 0

    counts = {
        SlaState.BREACHED.value: count(sla_condition(SlaState.BREACHED, now)),
        SlaState.AT_RISK.value: count(sla_condition(SlaState.AT_RISK, now)),
        SlaState.PAUSED.value: count(Ticket.status == S.WAITING_CUSTOMER),
    }
    counts[SlaState.OK.value] = count() - sum(counts.values())
    return counts


def sla_state_of(session: Session, ticket_id: int, *, now: datetime) -> str:
    """One ticket's SLA state, by the same ``CASE`` the queue uses."""
    return session.execute(
        select(sla_state(now)).select_from(Ticket).where(Ticket.id == ticket_id)
    ).scalar_one()


def tickets_by_id(session: Session, ids: Iterable[int]) -> dict[int, Ticket]:
    return {t.id: t for t in session.scalars(select(Ticket).where(Ticket.id.in_(set(ids))))}


def timeline(session: Session, ticket_id: int) -> list[TimelineEntry]:
    query = select(TimelineEntry).where(TimelineEntry.ticket_id == ticket_id).order_by(TimelineEntry.id)
    return list(session.scalars(query))


def pending_handoffs(
    session: Session, *, user_id: int | None = None, shift_id: int | None = None
) -> list[Handoff]:
    """Unacknowledged handoffs to a person (or to a shift), oldest first."""
    statement = select(Handoff).where(Handoff.acknowledged_at.is_(None)).order_by(Handoff.id)
    if user_id is not None:
        statement = statement.where(Handoff.to_user_id == user_id)
    if shift_id is not None:
        statement = statement.where(Handoff.to_shift_id == shift_id)
    return list(session.scalars(statement))


def handoff_board(session: Session, *, since: datetime) -> list[tuple[Handoff, Ticket]]:
    statement = (
        select(Handoff, Ticket)
        .join(Ticket, Ticket.id == Handoff.ticket_id)
        .where(Handoff.created_at >= since)
        .order_by(Handoff.acknowledged_at.is_not(None), Handoff.id.desc())
    )
    return [(h, t) for h, t in session.execute(statement)]


def customer_orders(session: Session, customer_id: int, *, limit: int = 20) -> list[Order]:
    query = (
        select(Order).where(Order.customer_id == customer_id).order_by(Order.ordered_at.desc()).limit(limit)
    )
    return list(session.scalars(query))


def customer_tickets(
    session: Session, customer_id: int, *, exclude: int | None = None, limit: int = 20
) -> list[Ticket]:
    query = (
        select(Ticket)
        .where(Ticket.customer_id == customer_id)
        .order_by(Ticket.created_at.desc())
        .limit(limit)
    )
    if exclude is not None:
        query = query.where(Ticket.id != exclude)
    return list(session.scalars(query))


def feedback_board(session: Session, *, department: str | None, open_only: bool = True) -> list[FeedbackItem]:
    """Feedback grouped for the department view: by SKU, then category, newest first within;
    ``open_only`` leaves out closed items."""
    statement = select(FeedbackItem)
    if department:
        statement = statement.where(FeedbackItem.department == department)
    if open_only:
        # Answered items stay until closed: the loop is open until someone closes it.
        statement = statement.where(FeedbackItem.status != FeedbackStatus.CLOSED)
    statement = statement.order_by(
        FeedbackItem.sku_code.is_(None),
        FeedbackItem.sku_code,
        FeedbackItem.category,
        FeedbackItem.subcategory,
        FeedbackItem.id.desc(),
    )
    return list(session.scalars(statement))


def feedback_summary(session: Session, *, department: str | None) -> list[tuple[str | None, str, int]]:
    """Open feedback counted per (SKU, category): what the department should look at first."""
    statement = (
        select(FeedbackItem.sku_code, FeedbackItem.category, func.count())
        .where(FeedbackItem.status.in_((FeedbackStatus.OPEN, FeedbackStatus.ACKNOWLEDGED)))
        .group_by(FeedbackItem.sku_code, FeedbackItem.category)
        .order_by(func.count().desc())
    )
    if department:
        statement = statement.where(FeedbackItem.department == department)
    return [(sku, category, n) for sku, category, n in session.execute(statement)]


def ticket_feedback(session: Session, ticket_id: int) -> list[FeedbackItem]:
    return list(
        session.scalars(
            select(FeedbackItem).where(FeedbackItem.ticket_id == ticket_id).order_by(FeedbackItem.id)
        )
    )


def recent_window(now: datetime, hours: int = 48) -> datetime:
    return now - timedelta(hours=hours)
