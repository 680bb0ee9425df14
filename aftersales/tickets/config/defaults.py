"""Default configuration every installation starts with: groups, taxonomy (seed 004 and the
portal's subcategories), shifts, SLA.

Plain data, so both the migration's data step and ``service.ensure_defaults`` (idempotent, for
databases created otherwise) use the same rows.
"""

from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from aftersales.kit.time import utcnow
from aftersales.kit.types import UTCDateTime

# code, name, kind
GROUPS: tuple[tuple[str, str, str], ...] = (
    ("aftersales", "售后组", "team"),
    ("vip", "VIP组", "team"),
    ("supervisors", "主管", "team"),
    ("logistics", "物流跟单", "department"),
    ("product", "产品部", "department"),
    ("operations", "运营部", "department"),
    ("warehouse", "仓库", "department"),
    ("design", "设计部", "department"),
)

DEPARTMENTS = ("product", "operations", "warehouse", "logistics", "design")

# Seed 004: 一级分类 商品问题/物流问题/服务问题/其他; 商品问题 has its subcategories and details.
TAXONOMY: dict[str, dict[str, tuple[str, ...]]] = {
    "商品问题": {
        "质量问题": ("破损", "功能故障", "瑕疵"),
        "描述不符": ("尺寸", "颜色", "材质", "功能"),
        "错发漏发": ("错发", "漏发"),
        "主观不满意": ("效果不符预期", "不合适"),
        "其他": (),
        # Seed 001's gifts followed through (migration 2201): after 其他, so older positions stay.
        "赠品漏发": ("漏发", "少发"),
    },
    "物流问题": {
        "物流延迟": (),
        "物流停滞": (),
        "丢件": (),
        "运输破损": (),
        "派送异常": (),
        "退回": (),
        "其他": (),
        # What the customer portal files (migration 0105): after 其他, so older positions stay.
        "修改地址": (),
        "延迟发货": (),
    },
    "服务问题": {
        "响应慢": (),
        "服务态度": (),
        "承诺未兑现": (),
        "其他": (),
        "安装": (),
    },
    "其他": {"其他": (), "发票": ()},
}
# The subcategories the customer portal opens tickets under, added by migration 0105.
PORTAL_SUBCATEGORIES = ("物流问题/修改地址", "物流问题/延迟发货", "服务问题/安装", "其他/发票")
# A gift (赠品) line missing from the delivery: its own subcategory, added by migration 2201.
GIFT_CATEGORY = ("商品问题", "赠品漏发")
GIFT_PATHS = ("商品问题/赠品漏发", "商品问题/赠品漏发/漏发", "商品问题/赠品漏发/少发")

# code, name, start minute, end minute (local time; 1440 = midnight)
SHIFTS: tuple[tuple[str, str, int, int], ...] = (
    ("morning", "早班", 8 * 60, 16 * 60),
    ("middle", "中班", 12 * 60, 20 * 60),
    ("evening", "晚班", 16 * 60, 24 * 60),
)

# name, ticket type (None = any), first response, resolution minutes, same day, calendar
SLA_POLICIES: tuple[tuple[str, str | None, int, int | None, bool, bool], ...] = (
    ("默认:20分钟首响,当日解决", None, 20, None, True, False),
    ("退货申请24小时内处理", "return", 20, 24 * 60, False, True),
    ("换货申请24小时内处理", "exchange", 20, 24 * 60, False, True),
)


def taxonomy_levels() -> list[list[tuple[str, str, int]]]:
    """``(path, name, position)`` per level; a node's parent is its path minus the last part."""
    levels: list[list[tuple[str, str, int]]] = [[], [], []]
    for position, (category, subs) in enumerate(TAXONOMY.items()):
        levels[0].append((category, category, position))
        for sub_position, (sub, details) in enumerate(subs.items()):
            levels[1].append((f"{category}/{sub}", sub, sub_position))
            for detail_position, detail in enumerate(details):
                levels[2].append((f"{category}/{sub}/{detail}", detail, detail_position))
    return levels


_groups = sa.table(
    "ticket_groups",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("kind", sa.String),
    sa.column("created_at", UTCDateTime),
)
_taxonomy = sa.table(
    "ticket_taxonomy",
    sa.column("id", sa.Integer),
    sa.column("parent_id", sa.Integer),
    sa.column("level", sa.Integer),
    sa.column("name", sa.String),
    sa.column("path", sa.String),
    sa.column("position", sa.Integer),
    sa.column("is_active", sa.Boolean),
)
_shifts = sa.table(
    "ticket_shifts",
    sa.column("code", sa.String),
    sa.column("name", sa.String),
    sa.column("start_minute", sa.Integer),
    sa.column("end_minute", sa.Integer),
)
_policies = sa.table(
    "ticket_sla_policies",
    sa.column("name", sa.String),
    sa.column("shop_id", sa.Integer),
    sa.column("ticket_type", sa.String),
    sa.column("business_start_minute", sa.Integer),
    sa.column("business_end_minute", sa.Integer),
    sa.column("first_response_minutes", sa.Integer),
    sa.column("resolution_minutes", sa.Integer),
    sa.column("resolution_same_day", sa.Boolean),
    sa.column("resolution_calendar", sa.Boolean),
    sa.column("warn_percent", sa.Integer),
    sa.column("created_at", UTCDateTime),
)


def seed_defaults(connection: sa.Connection) -> int:
    """Insert whichever default rows are missing (idempotent); returns how many were added.

    Core statements on lightweight tables, so the migration's data step keeps working when the
    ORM models gain columns later.
    """
    now = utcnow()
    added = 0
    have = set(connection.scalars(sa.select(_groups.c.code)))
    rows = [{"code": c, "name": n, "kind": k, "created_at": now} for c, n, k in GROUPS if c not in have]
    added += _insert(connection, _groups, rows)
    have = set(connection.scalars(sa.select(_shifts.c.code)))
    rows = [
        {"code": c, "name": n, "start_minute": s, "end_minute": e} for c, n, s, e in SHIFTS if c not in have
    ]
    added += _insert(connection, _shifts, rows)
    added += seed_taxonomy(connection)
    added += _seed_policies(connection, now)
    return added


def seed_taxonomy(connection: sa.Connection, *, only: Collection[str] | None = None) -> int:
    """Insert the missing default taxonomy nodes (those of ``only`` paths, when given)."""
    added = 0
    for level, nodes in enumerate(taxonomy_levels(), start=1):
        ids = dict(connection.execute(sa.select(_taxonomy.c.path, _taxonomy.c.id)).all())
        rows = [
            {
                "parent_id": ids.get(path.rsplit("/", 1)[0]) if level > 1 else None,
                "level": level,
                "name": name,
                "path": path,
                "position": position,
                "is_active": True,
            }
            for path, name, position in nodes
            if path not in ids and (only is None or path in only)
        ]
        added += _insert(connection, _taxonomy, rows)
    return added


def _seed_policies(connection: sa.Connection, now: datetime) -> int:
    have = set(connection.scalars(sa.select(_policies.c.ticket_type).where(_policies.c.shop_id.is_(None))))
    rows = [
        {
            "name": name,
            "shop_id": None,
            "ticket_type": ticket_type,
            "business_start_minute": 9 * 60,
            "business_end_minute": 21 * 60,
            "first_response_minutes": first,
            "resolution_minutes": resolution,
            "resolution_same_day": same_day,
            "resolution_calendar": calendar,
            "warn_percent": 75,
            "created_at": now,
        }
        for name, ticket_type, first, resolution, same_day, calendar in SLA_POLICIES
        if ticket_type not in have
    ]
    return _insert(connection, _policies, rows)


def _insert(connection: sa.Connection, table: sa.TableClause, rows: list[dict[str, Any]]) -> int:
    if rows:
        connection.execute(sa.insert(table), rows)
    return len(rows)
