"""Dimensions an analysis can be broken down by, as SQL key expressions per source table."""

from typing import Any

from sqlalchemy import ColumnElement, Table, literal

from aftersales.analytics.sources import Inputs

DIMENSIONS = {"platform": "平台", "shop": "店铺", "group": "客服组", "agent": "客服", "category": "问题分类"}
PLATFORM_COLUMNS = ("platform",)
AGENT_COLUMNS = ("assignee_id", "agent_id")
GROUP_COLUMNS = ("group_id", "group_code")
CATEGORY_COLUMNS = ("category",)


def key_expression(
    inputs: Inputs, table: Table, by: str | None
) -> tuple[ColumnElement[Any] | None, list[tuple[Table, ColumnElement[bool]]]]:
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
        if "group_code" in table.c:
            return table.c.group_code, []
        groups = inputs.table("ticket_groups")
        if "group_id" not in table.c or groups is None:
            return None, []
        return groups.c.name, [(groups, groups.c.id == table.c.group_id)]
    if by == "category":
        return (table.c.category, []) if "category" in table.c else (None, [])
    raise ValueError(f"未知维度: {by}")


def joined(table: Table, joins: list[tuple[Table, ColumnElement[bool]]]) -> Any:
    """``table`` outer-joined to each lookup, so rows without a group or agent still count."""
    result: Any = table
    for other, condition in joins:
        result = result.outerjoin(other, condition)
    return result
