"""Every query of shifts and the roster."""

from sqlalchemy import select
from sqlalchemy.orm import Session

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
