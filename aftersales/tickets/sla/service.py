"""The SLA clocks of one ticket: deadlines set when a clock starts, paused, resumed or reopened.

Everything the queue needs is stored on the ticket (``sla_due_at``, ``sla_warn_at``), so the
SLA state of a whole queue is a plain comparison in SQL (see ``repository.sla_state``).
"""

from datetime import datetime

from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.tickets.config import snapshot
from aftersales.tickets.models import OPEN_STATUSES, QUEUE_END, SlaPolicy, Ticket, TicketStatus
from aftersales.tickets.sla.hours import (
    ALWAYS,
    Hours,
    add_business_seconds,
    business_seconds_between,
    end_of_business_day,
    warn_mark,
)

S = TicketStatus


def hours_of(policy: SlaPolicy) -> Hours:
    return Hours(policy.business_start_minute, policy.business_end_minute)


def start_sla(session: Session, ticket: Ticket, *, now: datetime) -> None:
    """Deadlines from the ticket's policy: first response, and resolution (from ``now``)."""
    policy = snapshot.current(session).policy_for(ticket.shop_id, ticket.type)
    if policy is None:
        refresh_next_deadline(ticket, None)
        return
    ticket.sla_policy_id = policy.id
    hours = hours_of(policy)
    if ticket.first_responded_at is None:
        ticket.first_response_due_at = add_business_seconds(now, policy.first_response_minutes * 60, hours)
    set_resolution_clock(ticket, policy, now)
    refresh_next_deadline(ticket, policy)


def set_resolution_clock(ticket: Ticket, policy: SlaPolicy, start: datetime) -> None:
    hours = hours_of(policy)
    clock_hours = ALWAYS if policy.resolution_calendar else hours
    if policy.resolution_same_day:
        due: datetime | None = end_of_business_day(start, hours)
    elif policy.resolution_minutes:
        due = add_business_seconds(start, policy.resolution_minutes * 60, clock_hours)
    else:
        due = None
    ticket.resolution_due_at = due
    ticket.resolution_warn_at = warn_mark(start, due, policy.warn_percent, clock_hours) if due else None


def refresh_next_deadline(ticket: Ticket, policy: SlaPolicy | None) -> None:
    """``sla_due_at``/``sla_warn_at``: the first-response clock until answered, then resolution.

    Also keeps the queue columns: ``is_open`` and ``queue_at`` (the running deadline, or
    ``QUEUE_END`` for paused and clock-less tickets, so they sort after every deadline).
    When the running deadline moves (the first response is given and the resolution clock takes
    over, or a clock resumes) the alert level starts again, so the new deadline is warned and
    breached too; ``sla_breached`` stays as the record that some clock was missed.
    """
    before = ticket.sla_due_at
    _set_deadline(ticket, policy)
    if ticket.sla_due_at != before:
        ticket.sla_alert_level = 0
    ticket.is_open = ticket.status in OPEN_STATUSES
    ticket.queue_at = ticket.sla_due_at or QUEUE_END


def _set_deadline(ticket: Ticket, policy: SlaPolicy | None) -> None:
    if ticket.status in (S.WAITING_CUSTOMER, S.RESOLVED, S.CLOSED):
        ticket.sla_due_at = ticket.sla_warn_at = None
        return
    if ticket.first_responded_at is None and ticket.first_response_due_at is not None:
        ticket.sla_due_at = ticket.first_response_due_at
        start = ticket.created_at or utcnow()
        hours = hours_of(policy) if policy else ALWAYS
        percent = policy.warn_percent if policy else 75
        ticket.sla_warn_at = warn_mark(start, ticket.first_response_due_at, percent, hours)
        return
    ticket.sla_due_at = ticket.resolution_due_at
    ticket.sla_warn_at = ticket.resolution_warn_at


def policy_of(session: Session, ticket: Ticket) -> SlaPolicy | None:
    return session.get(SlaPolicy, ticket.sla_policy_id) if ticket.sla_policy_id else None


def pause_clock(session: Session, ticket: Ticket, now: datetime) -> None:
    """Waiting for the customer: keep the business time left, clear the deadline."""
    policy = policy_of(session, ticket)
    if policy is not None and ticket.resolution_due_at is not None:
        hours = ALWAYS if policy.resolution_calendar else hours_of(policy)
        ticket.sla_remaining_seconds = business_seconds_between(now, ticket.resolution_due_at, hours)
        warn = ticket.resolution_warn_at or ticket.resolution_due_at
        ticket.sla_warn_remaining_seconds = business_seconds_between(now, warn, hours)
    ticket.sla_paused_at = now


def resume_clock(session: Session, ticket: Ticket, now: datetime) -> None:
    """Back from waiting: the deadline moves by the time spent waiting (in business time)."""
    policy = policy_of(session, ticket)
    if ticket.sla_paused_at is not None:
        ticket.sla_paused_seconds += int((now - ticket.sla_paused_at).total_seconds())
    if policy is not None and ticket.sla_remaining_seconds is not None:
        hours = ALWAYS if policy.resolution_calendar else hours_of(policy)
        ticket.resolution_due_at = add_business_seconds(now, ticket.sla_remaining_seconds, hours)
        ticket.resolution_warn_at = add_business_seconds(now, ticket.sla_warn_remaining_seconds or 0, hours)
    ticket.sla_paused_at = None
    ticket.sla_remaining_seconds = ticket.sla_warn_remaining_seconds = None
