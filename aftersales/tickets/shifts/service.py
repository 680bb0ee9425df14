"""Shifts and the roster: which shift is on duty, who takes over, which shift a ticket follows."""

from datetime import datetime

from sqlalchemy.orm import Session

from aftersales.kit.time import SHANGHAI
from aftersales.tickets.config import snapshot
from aftersales.tickets.models import RosterEntry, Shift
from aftersales.tickets.shifts import repository


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
    entry = repository.roster_entry(session, user_id)
    if shift_id is None:
        if entry is not None:
            session.delete(entry)
    elif entry is None:
        session.add(RosterEntry(user_id=user_id, shift_id=shift_id))
    else:
        entry.shift_id = shift_id
    session.flush()
