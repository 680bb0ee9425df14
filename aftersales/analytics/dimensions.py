"""Dimensions an analysis can be broken down by, as SQL key expressions per source table."""

from typing import Any

from sqlalchemy import ColumnElement, Subquery, Table, func, literal, select

from aftersales.analytics.sources import Inputs

DIMENSIONS = {"platform": "平台", "shop": "店铺", "group": "客服组", "agent": "客服", "category": "问题分类"}
PLATFORM_COLUMNS = ("platform",)
AGENT_COLUMNS = ("assignee_id", "agent_id")
CATEGORY_COLUMNS = ("category",)


def key_expression(
    inputs: Inputs, table: Table, by: str | None
) -> tuple[ColumnElement[Any] | None, list[tuple[Any, Any]]]:
    """The key column of ``table`` for dimension ``by`` and the joins it needs; ``None`` if not there.

    Keys are readable labels (shop name, agent display name, group name), so a page and a report
    need no second lookup.
    """
    if by is None:
        return literal("全部"), []
    if by in ("platform", "shop"):
        shops = inputs.table("shops")
        if shops is None or "shop_id" not in table.c:
            return (table.c.platform, []) if by == "platform" and "platform" in table.c else (None, [])
        return (shops.c.platform if by == "platform" else shops.c.name), [
            (shops, shops.c.id == table.c.shop_id)
        ]
    if by == "agent":
        users = inputs.table("users")
        column = next((table.c[n] for n in AGENT_COLUMNS if n in table.c), None)
        if column is None or users is None:
            return None, []
        return users.c.display_name, [(users, users.c.id == column)]
    if by == "group":
        return _group_key(inputs, table)
    if by == "category":
        return (table.c.category, []) if "category" in table.c else (None, [])
    raise ValueError(f"未知维度: {by}")


def joined(table: Table, joins: list[tuple[Any, Any]]) -> Any:
    """``table`` outer-joined to each lookup, so rows without a group or agent still count."""
    result: Any = table
    for other, condition in joins:
        result = result.outerjoin(other, condition)
    return result


def agent_groups(inputs: Inputs) -> Subquery | None:
    """Each agent's group (``agent_id``, ``group_id``): the ticket group the agent has worked most.

    Users carry no group and chats, QC results no group column; the tickets an agent is assigned
    say which team they work in. Ties go to the lower group id, so the answer is stable.
    """
    tickets = Inputs().table("tickets")
    if tickets is None or "group_id" not in tickets.c or "assignee_id" not in tickets.c:
        inputs.missing.append("工单缺少 group_id/assignee_id,无法推断客服所属组,会话与质检的客服组指标未计算")
        return None
    worked = (
        select(tickets.c.assignee_id, tickets.c.group_id, func.count().label("n"))
        .where(tickets.c.assignee_id.is_not(None), tickets.c.group_id.is_not(None))
        .group_by(tickets.c.assignee_id, tickets.c.group_id)
        .subquery()
    )
    order = (worked.c.n.desc(), worked.c.group_id)
    ranked = select(
        worked.c.assignee_id.label("agent_id"),
        worked.c.group_id,
        func.row_number().over(partition_by=worked.c.assignee_id, order_by=order).label("rank"),
    ).subquery()
    return select(ranked.c.agent_id, ranked.c.group_id).where(ranked.c.rank == 1).subquery("agent_groups")


def _group_key(inputs: Inputs, table: Table) -> tuple[ColumnElement[Any] | None, list[tuple[Any, Any]]]:
    """The group's name: by the table's group id or code, else through its agent's group."""
    groups = inputs.table("ticket_groups")
    if groups is None:
        return None, []
    if "group_code" in table.c:
        return func.coalesce(groups.c.name, table.c.group_code), [
            (groups, groups.c.code == table.c.group_code)
        ]
    if "group_id" in table.c:
        return groups.c.name, [(groups, groups.c.id == table.c.group_id)]
    agent = next((table.c[n] for n in AGENT_COLUMNS if n in table.c), None)
    derived = agent_groups(inputs) if agent is not None else None
    if derived is None:
        return None, []
    return groups.c.name, [
        (derived, derived.c.agent_id == agent),
        (groups, groups.c.id == derived.c.group_id),
    ]


def subject_condition(inputs: Inputs, table: Table, by: str, value: str) -> ColumnElement[bool] | None:
    """Rows of ``table`` that ``key_expression`` counts under one shop, group or platform.

    ``value`` is the shop id, the group id or the platform code; ``None`` when the table cannot
    be keyed by ``by``. Used by the drill-down so a scorecard cell opens exactly its own rows.
    """
    if by == "shop":
        return table.c.shop_id == int(value) if "shop_id" in table.c else None
    if by == "platform":
        shops = inputs.table("shops")
        if shops is not None and "shop_id" in table.c:
            return table.c.shop_id.in_(select(shops.c.id).where(shops.c.platform == value))
        return table.c.platform == value if "platform" in table.c else None
    if by == "group":
        groups = inputs.table("ticket_groups")
        if groups is None:
            return None
        if "group_code" in table.c:
            return table.c.group_code.in_(select(groups.c.code).where(groups.c.id == int(value)))
        if "group_id" in table.c:
            return table.c.group_id == int(value)
        agent = next((table.c[n] for n in AGENT_COLUMNS if n in table.c), None)
        derived = agent_groups(inputs) if agent is not None else None
        if agent is None or derived is None:
            return None
        return agent.in_(select(derived.c.agent_id).where(derived.c.group_id == int(value)))
    raise ValueError(f"未知维度: {by}")
