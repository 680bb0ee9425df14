"""Shifts, the roster, and the handoff register (交接登记) written at each shift's end.

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
from aftersales.tickets import snapshot
from aftersales.tickets.models import OPEN_STATUSES, Handoff, RosterEntry, Shift, Ticket, TimelineEntry

HANDOFF_LOOKBACK = timedelta(hours=6)
# The handoff's "last note" is what an agent last wrote, never the system's own handoff entries.
AGENT_NOTES = ("note", "comment")


@dataclass(frozen=True)
class ShiftEnd:
    shift_id: int
    day: date
    ends_at: datetime


def all_shifts(session: Session) -> list[Shift]:
    return list(session.scalars(select(Shift).order_by(Shift.start_minute, Shift.id)))


def _minute_of_day(at: datetime) -> int:
    local = at.astimezone(SHANGHAI)
    return local.hour * 60 + local.minute


def on_duty(shifts: list[Shift], at: datetime) -> list[Shift]:
    minute = _minute_of_day(at)
    return [s for s in shifts if s.start_minute <= minute < s.end_minute]


def current_shift(shifts: list[Shift], at: datetime) -> Shift | None:
    """The shift on duty that stays longest; off hours, the next one to start."""
    working = on_duty(shifts, at)
    if working:
        return max(working, key=lambda s: (s.end_minute, s.start_minute))
    minute = _minute_of_day(at)
    upcoming = sorted(shifts, key=lambda s: ((s.start_minute - minute) % 1440, s.id))
    return upcoming[0] if upcoming else None


def next_shift(shifts: list[Shift], shift: Shift) -> Shift | None:
    """Who takes over at ``shift``'s end: the shift on duty right then that stays longest."""
    others = [s for s in shifts if s.id != shift.id]
    end = shift.end_minute % 1440
    working = [s for s in others if s.start_minute <= end < s.end_minute]
    if working:
        return max(working, key=lambda s: (s.end_minute, s.start_minute))
    upcoming = sorted(others, key=lambda s: ((s.start_minute - end) % 1440, s.id))
    return upcoming[0] if upcoming else None


def shift_for(session: Session, *, user_id: int | None, at: datetime) -> int | None:
    """The assignee's rostered shift, else the shift on duty at ``at``."""
    config = snapshot.current(session)
    if user_id is not None and user_id in config.roster:
        return config.roster[user_id]
    shift = current_shift(config.shifts, at)
    return shift.id if shift else None


def set_roster(session: Session, *, user_id: int, shift_id: int | None) -> None:
    """Put an agent on a shift (or take them off the roster with ``None``)."""
    entry = session.scalar(select(RosterEntry).where(RosterEntry.user_id == user_id))
    if shift_id is None:
        if entry is not None:
            session.delete(entry)
    elif entry is None:
        session.add(RosterEntry(user_id=user_id, shift_id=shift_id))
    else:
        entry.shift_id = shift_id
    session.flush()


def roster_user_ids(session: Session, shift_id: int) -> list[int]:
    return list(
        session.scalars(
            select(RosterEntry.user_id).where(RosterEntry.shift_id == shift_id).order_by(RosterEntry.user_id)
        )
    )


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
    ends = [last_end(shift, now) for shift in all_shifts(session)]
    return [end for end in ends if now - end.ends_at <= HANDOFF_LOOKBACK]


def hand_off(session: Session, *, shift_id: int, day: date, now: datetime | None = None) -> int:
    """Register every unresolved ticket of the shift for the next one; returns how many were new."""
    now = now or utcnow()
    shifts = all_shifts(session)
    shift = next(s for s in shifts if s.id == shift_id)
    successor = next_shift(shifts, shift)
    if successor is None:
        return 0
    receiver = _receiver_expression(roster_user_ids(session, successor.id))
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
