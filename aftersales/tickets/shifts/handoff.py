"""The handoff register (交接登记) written at each shift's end.

The handoff is set-based: one ``INSERT … SELECT`` registers every unresolved ticket of the shift
(with its last note) for the next shift, one ``UPDATE`` moves them over. The register's unique
``(ticket, shift day, from shift)`` makes a rerun of the same shift end a no-op.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, case, exists, func, insert, literal, select, update
from sqlalchemy.orm import Session

from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.tickets.models import OPEN_STATUSES, Handoff, Shift, Ticket, TimelineEntry
from aftersales.tickets.shifts import repository
from aftersales.tickets.shifts.service import next_shift

HANDOFF_LOOKBACK = timedelta(hours=6)
# The handoff's "last note" is what an agent last wrote, never the system's own handoff entries.
AGENT_NOTES = ("note", "comment")


@dataclass(frozen=True)
class ShiftEnd:
    shift_id: int
    day: date
    ends_at: datetime


def last_end(shift: Shift, now: datetime) -> ShiftEnd:
    """The most recent end of ``shift`` at or before ``now``, with the local day it started."""
    local = now.astimezone(SHANGHAI)
    for back in range(0, 3):
        day = local.date() - timedelta(days=back)
        ends = datetime.combine(day, time.min, tzinfo=SHANGHAI) + timedelta(minutes=shift.end_minute)
        if ends <= local:
            return ShiftEnd(shift.id, day, ends)
    raise AssertionError("a shift ends at least once a day")


def due_shift_ends(session: Session, now: datetime) -> list[ShiftEnd]:
    """Shift ends in the last few hours (a worker that was down catches up, old ones are left)."""
    ends = [last_end(shift, now) for shift in repository.all_shifts(session)]
    return [end for end in ends if now - end.ends_at <= HANDOFF_LOOKBACK]


def hand_off(session: Session, *, shift_id: int, day: date, now: datetime | None = None) -> int:
    """Register every unresolved ticket of the shift for the next one; returns how many were new."""
    now = now or utcnow()
    shifts = repository.all_shifts(session)
    shift = next(s for s in shifts if s.id == shift_id)
    successor = next_shift(shifts, shift)
    if successor is None:
        return 0
    receiver = _receiver_expression(repository.roster_user_ids(session, successor.id))
    day_text = day.isoformat()
    last_note = (
        select(TimelineEntry.message)
        .where(
            TimelineEntry.ticket_id == Ticket.id,
            TimelineEntry.kind.in_(AGENT_NOTES),
            TimelineEntry.actor_id.is_not(None),
        )
        .order_by(TimelineEntry.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    already = exists().where(
        Handoff.ticket_id == Ticket.id, Handoff.shift_day == day_text, Handoff.from_shift_id == shift.id
    )
    rows = select(
        Ticket.id,
        literal(day_text),
        literal(shift.id),
        literal(successor.id),
        Ticket.assignee_id,
        receiver,
        last_note,
        literal(now, Handoff.created_at.type),
    ).where(Ticket.shift_id == shift.id, Ticket.status.in_(OPEN_STATUSES), ~already)
    columns = ["ticket_id", "shift_day", "from_shift_id", "to_shift_id", "from_user_id", "to_user_id"]
    result = session.execute(insert(Handoff).from_select([*columns, "last_note", "created_at"], rows))
    count = cast(CursorResult[Any], result).rowcount or 0
    if count:
        _move_tickets(session, shift.id, successor.id, day_text, now)
    return count


def _receiver_expression(user_ids: list[int]):  # type: ignore[no-untyped-def]
    """Round-robin over the next shift's roster by ticket id, computed in SQL."""
    if not user_ids:
        return literal(None, Handoff.to_user_id.type)
    if len(user_ids) == 1:
        return literal(user_ids[0])
    slot = Ticket.id % len(user_ids)
    return case(*((slot == i, literal(uid)) for i, uid in enumerate(user_ids)))


def _move_tickets(session: Session, from_shift: int, to_shift: int, day: str, now: datetime) -> None:
    """Tickets just registered move to the next shift and its agent; each timeline says so."""
    fresh = and_(Handoff.shift_day == day, Handoff.from_shift_id == from_shift, Handoff.created_at == now)
    session.execute(
        insert(TimelineEntry).from_select(
            ["ticket_id", "kind", "message", "is_internal", "data", "created_at"],
            select(
                Handoff.ticket_id,
                literal("handoff"),
                literal("交班:转交下一班次继续跟进"),
                literal(False),
                literal({}, TimelineEntry.data.type),
                literal(now, TimelineEntry.created_at.type),
            ).where(fresh),
        )
    )
    moved = select(Handoff.to_user_id).where(Handoff.ticket_id == Ticket.id, fresh).scalar_subquery()
    session.execute(
        update(Ticket)
        .where(Ticket.id.in_(select(Handoff.ticket_id).where(fresh)))
        .values(shift_id=to_shift, assignee_id=func.coalesce(moved, Ticket.assignee_id), updated_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expire_all()


def acknowledge(session: Session, *, handoff_id: int, user_id: int) -> Handoff | None:
    handoff = session.get(Handoff, handoff_id)
    if handoff is not None and handoff.acknowledged_at is None:
        handoff.acknowledged_at = utcnow()
        if handoff.to_user_id is None:
            handoff.to_user_id = user_id
        session.flush()
    return handoff
