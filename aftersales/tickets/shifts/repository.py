"""Every query of shifts and the roster."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.tickets.models import RosterEntry, Shift


def all_shifts(session: Session) -> list[Shift]:
    return list(session.scalars(select(Shift).order_by(Shift.start_minute, Shift.id)))


def shift_by_code(session: Session, code: str) -> Shift | None:
    return session.scalar(select(Shift).where(Shift.code == code))


def roster_entry(session: Session, user_id: int) -> RosterEntry | None:
    return session.scalar(select(RosterEntry).where(RosterEntry.user_id == user_id))


def roster_user_ids(session: Session, shift_id: int) -> list[int]:
    return list(
        session.scalars(
            select(RosterEntry.user_id).where(RosterEntry.shift_id == shift_id).order_by(RosterEntry.user_id)
        )
    )


def roster_names(session: Session) -> dict[int, list[str]]:
    """Agents' names per shift id, in user order."""
    rows = session.execute(
        select(RosterEntry.shift_id, User.display_name)
        .join(User, User.id == RosterEntry.user_id)
        .order_by(User.id)
    )
    roster: dict[int, list[str]] = {}
    for shift_id, name in rows:
        roster.setdefault(shift_id, []).append(name)
    return roster
