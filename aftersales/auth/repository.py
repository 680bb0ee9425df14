"""Every query of users the pages need (names for ids, the agents to pick from)."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User


def all_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)))


def active_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.is_active.is_(True)).order_by(User.id)))


def users_with_role(session: Session, role: Role) -> list[User]:
    return list(session.scalars(select(User).where(User.role == role).order_by(User.id)))


def display_names(session: Session, ids: Iterable[int | None] | None = None) -> dict[int, str]:
    """Names by user id, for the ids given (``None`` among them is skipped), or for every user."""
    query = select(User.id, User.display_name)
    if ids is not None:
        wanted = {i for i in ids if i is not None}
        if not wanted:
            return {}
        query = query.where(User.id.in_(wanted))
    return dict(session.execute(query).all())
