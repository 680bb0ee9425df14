"""Dimensions an analysis can be broken down by, as SQL key expressions per source table.

The sources are the owning domains' tables: chats, tickets, rating invitations, QC results,
satisfaction surveys. Each
names its agent column (tickets are assigned, the others carry the agent who served) and its group
(tickets by id, invitations by code, the others through the agent's group).
"""

from typing import Any, cast

from sqlalchemy import Column, ColumnElement, Subquery, Table, func, literal, select

from aftersales.auth.models import User
from aftersales.catalog.models import Shop
from aftersales.conversations.models import ChatSession
from aftersales.qc.models import QcSessionResult
from aftersales.reviews.models import RatingInvitation
from aftersales.selfservice.survey_models import SurveyAnswer, SurveyInvitation
from aftersales.tickets.models import Ticket, TicketGroup

DIMENSIONS = {"platform": "平台", "shop": "店铺", "group": "客服组", "agent": "客服", "category": "问题分类"}
USERS = cast(Table, User.__table__)
SHOPS = cast(Table, Shop.__table__)
GROUPS = cast(Table, TicketGroup.__table__)
TICKETS = cast(Table, Ticket.__table__)
INVITATIONS = cast(Table, RatingInvitation.__table__)
CHATS = cast(Table, ChatSession.__table__)
QC_RESULTS = cast(Table, QcSessionResult.__table__)
SURVEYS = cast(Table, SurveyInvitation.__table__)
SURVEY_ANSWERS = cast(Table, SurveyAnswer.__table__)


def agent_column(table: Table) -> Column[Any]:
    """Who a row counts under: a ticket's assignee, else the agent who served the chat or rating."""
    return table.c.assignee_id if table is TICKETS else table.c.agent_id


def key_expression(table: Table, by: str | None) -> tuple[ColumnElement[Any] | None, list[tuple[Any, Any]]]:
    """The key column of ``table`` for dimension ``by`` and the joins it needs; ``None`` if the
    table has no such key (only tickets carry a problem category).

    Keys are readable labels (shop name, agent display name, group name), so a page and a report
    need no second lookup.
    """
    if by is None:
        return literal("全部"), []
    if by in ("platform", "shop"):
        return (SHOPS.c.platform if by == "platform" else SHOPS.c.name), [
            (SHOPS, SHOPS.c.id == table.c.shop_id)
        ]
    if by == "agent":
        return USERS.c.display_name, [(USERS, USERS.c.id == agent_column(table))]
    if by == "group":
        return _group_key(table)
    if by == "category":
        return (TICKETS.c.category, []) if table is TICKETS else (None, [])
    raise ValueError(f"未知维度: {by}")


def joined(table: Table, joins: list[tuple[Any, Any]]) -> Any:
    """``table`` outer-joined to each lookup, so rows without a group or agent still count."""
    result: Any = table
    for other, condition in joins:
        result = result.outerjoin(other, condition)
    return result


def agent_groups() -> Subquery:
    """Each agent's group (``agent_id``, ``group_id``): the ticket group the agent has worked most.

    Users carry no group and chats, QC results no group column; the tickets an agent is assigned
    say which team they work in. Ties go to the lower group id, so the answer is stable.
    """
    worked = (
        select(Ticket.assignee_id, Ticket.group_id, func.count().label("n"))
        .where(Ticket.assignee_id.is_not(None), Ticket.group_id.is_not(None))
        .group_by(Ticket.assignee_id, Ticket.group_id)
        .subquery()
    )
    order = (worked.c.n.desc(), worked.c.group_id)
    ranked = select(
        worked.c.assignee_id.label("agent_id"),
        worked.c.group_id,
        func.row_number().over(partition_by=worked.c.assignee_id, order_by=order).label("rank"),
    ).subquery()
    return select(ranked.c.agent_id, ranked.c.group_id).where(ranked.c.rank == 1).subquery("agent_groups")


def _group_key(table: Table) -> tuple[ColumnElement[Any] | None, list[tuple[Any, Any]]]:
    """The group's name: by the ticket's group id or the invitation's group code, else through
    the agent's group."""
    if table is INVITATIONS:
        code = INVITATIONS.c.group_code
        return func.coalesce(GROUPS.c.name, code), [(GROUPS, GROUPS.c.code == code)]
    if table is TICKETS:
        return GROUPS.c.name, [(GROUPS, GROUPS.c.id == TICKETS.c.group_id)]
    derived = agent_groups()
    return GROUPS.c.name, [
        (derived, derived.c.agent_id == agent_column(table)),
        (GROUPS, GROUPS.c.id == derived.c.group_id),
    ]


def subject_condition(table: Table, by: str, value: str) -> ColumnElement[bool]:
    """Rows of ``table`` that ``key_expression`` counts under one shop, group or platform.

    ``value`` is the shop id, the group id or the platform code. Used by the drill-down so a
    scorecard cell opens exactly its own rows.
    """
    if by == "shop":
        return table.c.shop_id == int(value)
    if by == "platform":
        return table.c.shop_id.in_(select(SHOPS.c.id).where(SHOPS.c.platform == value))
    if by == "group":
        if table is INVITATIONS:
            return INVITATIONS.c.group_code.in_(select(GROUPS.c.code).where(GROUPS.c.id == int(value)))
        if table is TICKETS:
            return TICKETS.c.group_id == int(value)
        derived = agent_groups()
        return agent_column(table).in_(select(derived.c.agent_id).where(derived.c.group_id == int(value)))
    raise ValueError(f"未知维度: {by}")
