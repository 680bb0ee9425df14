"""Every query of the ticket configuration (the pages and the rules that change it read here)."""

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.tickets.models import (
    OPEN_STATUSES,
    GroupBot,
    RosterEntry,
    RoutingRule,
    SlaPolicy,
    TaxonomyNode,
    Ticket,
    TicketGroup,
)


def count(session: Session, model: Any, *conditions: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions)) or 0


def taxonomy(session: Session, *, active_only: bool = False) -> list[TaxonomyNode]:
    query = select(TaxonomyNode).order_by(TaxonomyNode.level, TaxonomyNode.position, TaxonomyNode.id)
    if active_only:
        query = query.where(TaxonomyNode.is_active.is_(True))
    return list(session.scalars(query))


def taxonomy_below(session: Session, path: str) -> list[TaxonomyNode]:
    """Every node under ``path`` (its subcategories and details)."""
    return list(session.scalars(select(TaxonomyNode).where(TaxonomyNode.path.startswith(path + "/"))))


def sla_policies(session: Session) -> list[SlaPolicy]:
    return list(session.scalars(select(SlaPolicy).order_by(SlaPolicy.shop_id.is_not(None), SlaPolicy.id)))


def roster(session: Session) -> list[RosterEntry]:
    return list(session.scalars(select(RosterEntry).order_by(RosterEntry.shift_id, RosterEntry.user_id)))


def routing_rules(session: Session) -> list[RoutingRule]:
    return list(session.scalars(select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def groups(session: Session) -> list[TicketGroup]:
    return list(session.scalars(select(TicketGroup).order_by(TicketGroup.id)))


def group_id_of(session: Session, code: str) -> int | None:
    return session.scalar(select(TicketGroup.id).where(TicketGroup.code == code))


def bots_of(session: Session, group_id: int) -> list[GroupBot]:
    return list(session.scalars(select(GroupBot).where(GroupBot.group_id == group_id).order_by(GroupBot.id)))


def group_counts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Ticket.group_id, func.count())
        .where(Ticket.status.in_(OPEN_STATUSES))
        .group_by(Ticket.group_id)
    )
    return {g: n for g, n in rows if g is not None}
