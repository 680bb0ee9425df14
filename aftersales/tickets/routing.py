"""Routing rules: conditions on a new ticket's facts, actions that set group/assignee/priority and CC.

Rules run in ``position`` order; every matching rule applies its actions (a later one overrides
an earlier one) until one says ``stop_processing``. An empty condition matches anything.
"""

from dataclasses import dataclass, field
from typing import Any

from aftersales.tickets.models import RoutingRule

LIST_CONDITIONS = {
    "shop_ids": "shop_id",
    "platforms": "platform",
    "types": "type",
    "categories": "category",
    "subcategories": "subcategory",
    "severities": "severity",
}
CONDITION_KEYS = (*LIST_CONDITIONS, "sku_codes", "min_amount_fen", "max_amount_fen", "vip")


@dataclass(frozen=True)
class Facts:
    """What rules may look at; ``sku_codes`` are every SKU of the ticket's order."""

    shop_id: int
    platform: str | None
    type: str
    category: str
    subcategory: str | None
    severity: str
    sku_codes: frozenset[str] = frozenset()
    amount_fen: int | None = None
    vip: bool = False


@dataclass
class Decision:
    group_code: str | None = None
    assignee_id: int | None = None
    priority: int | None = None
    cc_group_codes: list[str] = field(default_factory=list)
    matched_rule_ids: list[int] = field(default_factory=list)


def matches(conditions: dict[str, Any], facts: Facts) -> bool:
    """All present conditions hold; ``[]`` / missing / null means "any"."""
    for key, attribute in LIST_CONDITIONS.items():
        wanted = conditions.get(key) or []
        if wanted and getattr(facts, attribute) not in wanted:
            return False
    skus = conditions.get("sku_codes") or []
    if skus and not facts.sku_codes & set(skus):
        return False
    if not _amount_within(conditions, facts.amount_fen):
        return False
    vip = conditions.get("vip")
    return vip is None or bool(vip) == facts.vip


def _amount_within(conditions: dict[str, Any], amount: int | None) -> bool:
    low, high = conditions.get("min_amount_fen"), conditions.get("max_amount_fen")
    if low is None and high is None:
        return True
    if amount is None:
        return False
    return (low is None or amount >= low) and (high is None or amount <= high)


def decide(rules: list[RoutingRule], facts: Facts) -> Decision:
    decision = Decision()
    for rule in rules:
        if not matches(rule.conditions or {}, facts):
            continue
        decision.matched_rule_ids.append(rule.id)
        decision.group_code = rule.set_group_code or decision.group_code
        decision.assignee_id = rule.set_assignee_id or decision.assignee_id
        decision.priority = rule.set_priority or decision.priority
        if rule.cc_group_code and rule.cc_group_code not in decision.cc_group_codes:
            decision.cc_group_codes.append(rule.cc_group_code)
        if rule.stop_processing:
            break
    return decision
