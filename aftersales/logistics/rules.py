"""Anomaly rule settings: built-in defaults, overridden per kind and courier by ``logistics_rules``.

Thresholds are hours. Same-day couriers (顺丰, 京东) get tighter defaults: their customers expect
the parcel to move the day it ships, and a silent parcel there is a real problem sooner.
"""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore
from aftersales.logistics.models import ANY_COURIER, AnomalyKind, AnomalyRule

FAST_COURIERS = ("sf", "jd")


@dataclass(frozen=True)
class RuleSetting:
    threshold_hours: int
    enabled: bool = True
    notify_customer: bool = False
    template_code: str | None = None


@dataclass
class EffectiveRule:
    """One kind's default setting plus per-courier overrides."""

    kind: AnomalyKind
    default: RuleSetting
    couriers: dict[str, RuleSetting] = field(default_factory=dict)

    def for_courier(self, courier: str) -> RuleSetting:
        return self.couriers.get(courier, self.default)


DEFAULTS: dict[AnomalyKind, RuleSetting] = {
    AnomalyKind.NO_FIRST_SCAN: RuleSetting(24),
    AnomalyKind.NO_UPDATE: RuleSetting(48),
    AnomalyKind.STUCK_AT_HUB: RuleSetting(36),
    AnomalyKind.DELIVERY_FAILED: RuleSetting(0),
    AnomalyKind.RETURNED: RuleSetting(0),
    AnomalyKind.LATE: RuleSetting(0, notify_customer=True, template_code="eta_apology"),
    AnomalyKind.RESTRICTED_REGION: RuleSetting(0, notify_customer=True, template_code="restricted_notice"),
    AnomalyKind.SPLIT_LAGGING: RuleSetting(48, notify_customer=True, template_code="split_notice"),
}
COURIER_DEFAULTS: dict[tuple[AnomalyKind, str], RuleSetting] = {
    **{(AnomalyKind.NO_FIRST_SCAN, c): RuleSetting(12) for c in FAST_COURIERS},
    **{(AnomalyKind.NO_UPDATE, c): RuleSetting(24) for c in FAST_COURIERS},
    **{(AnomalyKind.STUCK_AT_HUB, c): RuleSetting(24) for c in FAST_COURIERS},
}


def _setting(row: AnomalyRule) -> RuleSetting:
    return RuleSetting(row.threshold_hours, row.enabled, row.notify_customer, row.template_code)


def effective_rules(session: Session) -> dict[AnomalyKind, EffectiveRule]:
    """Built-in defaults, then whatever the shop saved on top (one query)."""
    rules = {kind: EffectiveRule(kind, setting) for kind, setting in DEFAULTS.items()}
    for (kind, courier), setting in COURIER_DEFAULTS.items():
        rules[kind].couriers[courier] = setting
    for row in session.scalars(select(AnomalyRule)):
        rule = rules[AnomalyKind(row.kind)]
        if row.courier == ANY_COURIER:
            rule.default = _setting(row)
        else:
            rule.couriers[row.courier] = _setting(row)
    return rules


def seed_default_rules(session: Session) -> None:
    """Write the defaults as rows, so the console shows (and lets one edit) every threshold."""
    now = utcnow()
    rows = [
        {
            "kind": kind,
            "courier": courier,
            "threshold_hours": s.threshold_hours,
            "enabled": s.enabled,
            "notify_customer": s.notify_customer,
            "template_code": s.template_code,
            "updated_at": now,
        }
        for (kind, courier), s in [((k, ANY_COURIER), s) for k, s in DEFAULTS.items()]
        + list(COURIER_DEFAULTS.items())
    ]
    insert_ignore(session, AnomalyRule, rows, conflict_columns=["kind", "courier"])


def save_rule(
    session: Session,
    *,
    kind: AnomalyKind,
    courier: str = ANY_COURIER,
    threshold_hours: int,
    enabled: bool = True,
    notify_customer: bool = False,
    template_code: str | None = None,
) -> AnomalyRule:
    row = session.scalar(select(AnomalyRule).where(AnomalyRule.kind == kind, AnomalyRule.courier == courier))
    if row is None:
        row = AnomalyRule(kind=kind, courier=courier)
        session.add(row)
    row.threshold_hours, row.enabled = threshold_hours, enabled
    row.notify_customer, row.template_code = notify_customer, template_code
    session.flush()
    return row
