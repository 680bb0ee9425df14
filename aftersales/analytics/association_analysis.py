"""关联分析 over stored data: tickets (problem category) and parcels (logistics outcome), with SKUs.

The database groups the cases by every attribute at once (a few thousand combinations however
many rows); cross-tab ratios are exact sums of those groups, and FP-growth runs on a proportional
expansion of them capped at 20,000 cases.
"""

from collections import Counter
from collections.abc import Callable
from urllib.parse import urlencode

from sqlalchemy.orm import Session

from aftersales.analytics import charts, repository
from aftersales.analytics.associations import CrossTabRow, Rule, mine_group_rules
from aftersales.analytics.results import Analysis, DataTable, percent
from aftersales.analytics.scope import Scope
from aftersales.catalog.models import PLATFORM_LABELS, Platform
from aftersales.orders.couriers import COURIERS

ORDER_DIMENSIONS = ("延迟", "快递", "地区", "商品", "品类", "价格带")
# Outcomes a shop follows per order, with the values that count as the outcome happening.
ORDER_OUTCOMES: dict[str, tuple[str, ...] | None] = {
    "评分": ("1星", "2星"),
    "差评": ("差评",),
    "退款": ("退款",),
    "投诉": ("投诉",),
    "重复咨询": ("重复咨询",),
    "工单分类": None,  # every category is an outcome
}
NOTHING = "无"
PARCEL_DIMENSIONS = ("快递", "地区", "平台", "价格带", "商品")
TICKET_DIMENSIONS = ("商品", "快递", "地区", "平台", "价格带", "客服")
# Short courier names as people say them; 京东物流 stays distinct from the 京东 platform.
COURIER_NAMES = {
    code: name.removesuffix("速递").removesuffix("快递").removesuffix("速运")
    for code, name in COURIERS.items()
}
COURIER_NAMES["jd"] = "京东物流"


def _readable(case: dict[str, object]) -> dict[str, object]:
    """Courier and platform codes as the names people use (圆通, 天猫)."""
    out = dict(case)
    if out.get("快递") in COURIERS:
        out["快递"] = COURIER_NAMES[str(out["快递"])]
    if out.get("平台") in Platform.__members__.values() or out.get("平台") in {p.value for p in Platform}:
        out["平台"] = PLATFORM_LABELS[Platform(str(out["平台"]))]
    return out


def _rule_table(key: str, title: str, rules: list[Rule]) -> DataTable:
    table = DataTable(key, title, ["关联", "结果", "支持度", "置信度", "提升度", "例数"])
    table.rows = [
        [
            " + ".join(a.split("=", 1)[1] for a in r.antecedent),
            r.consequent.split("=", 1)[1],
            percent(r.support),
            percent(r.confidence),
            round(r.lift, 2),
            r.count,
        ]
        for r in rules
    ]
    return table


def _crosstab_rows(
    groups: list[tuple[dict[str, object], int]], dimensions: tuple[str, ...], outcome: str
) -> list[CrossTabRow]:
    """Exact outcome rates per value of each dimension, summed from the grouped case counts."""
    rows: list[CrossTabRow] = []
    grand = sum(n for _case, n in groups)
    outcome_totals: dict[str, int] = {}
    for case, n in groups:
        outcome_totals[str(case[outcome])] = outcome_totals.get(str(case[outcome]), 0) + n
    for dimension in (d for d in dimensions if groups and d in groups[0][0]):
        totals: dict[str, int] = {}
        hits: dict[tuple[str, str], int] = {}
        for case, n in groups:
            if case[dimension] is None:  # no parcel, no region: nothing to compare
                continue
            value, result = str(case[dimension]), str(case[outcome])
            totals[value] = totals.get(value, 0) + n
            hits[(value, result)] = hits.get((value, result), 0) + n
        for (value, result), n in hits.items():
            if result in ("正常", NOTHING) or totals[value] < 20 or n < 3:
                continue
            rate, base = n / totals[value], outcome_totals[result] / grand
            rows.append(CrossTabRow(dimension, value, result, totals[value], n, rate, base))
    rows.sort(key=lambda r: (-r.ratio, -r.hits))
    return rows


def _crosstab_table(
    key: str, title: str, unit: str, rows: list[CrossTabRow], link: Callable[[CrossTabRow], str | None]
) -> DataTable:
    """The cross-tab; each 问题数 links to the cases behind it where the drill-down can filter them."""
    table = DataTable(key, title, ["维度", "取值", "结果", f"{unit}数", "问题数", "比率", "整体比率", "倍数"])
    for r, row in enumerate(rows[:30]):
        url = link(row)
        if url:
            table.links[(r, 4)] = url
    table.rows = [
        [
            r.dimension,
            r.value,
            r.outcome,
            r.cases,
            r.hits,
            percent(r.rate),
            percent(r.base_rate),
            round(r.ratio, 2),
        ]
        for r in rows[:30]
    ]
    return table


COURIER_CODES = {name: code for code, name in COURIER_NAMES.items()}


def _parcel_link(scope: Scope) -> Callable[[CrossTabRow], str | None]:
    def link(row: CrossTabRow) -> str | None:
        value = COURIER_CODES.get(row.value) if row.dimension == "快递" else row.value
        parameter = {"快递": "courier", "地区": "province"}.get(row.dimension)
        if parameter is None or value is None:
            return None
        query = {**scope.query(), parameter: value, "outcome": row.outcome}
        return "/console/analytics/drill/parcel_problems?" + urlencode(query)

    return link


def _ticket_link(scope: Scope) -> Callable[[CrossTabRow], str | None]:
    def link(row: CrossTabRow) -> str | None:
        if row.dimension != "商品":
            return None
        query = {**scope.query(), "sku": row.value, "category": row.outcome}
        return "/console/analytics/drill/tickets?" + urlencode(query)

    return link


def outcome_groups(
    groups: list[tuple[dict[str, object], int]], outcome: str
) -> list[tuple[dict[str, object], int]]:
    """The order cases with the attributes and one outcome, regrouped; cases without a value for
    it (an order nobody rated) are not cases of it."""
    merged: Counter[tuple[tuple[str, object], ...]] = Counter()
    for case, n in groups:
        if case.get(outcome) is None:
            continue
        merged[tuple((d, case.get(d)) for d in (*ORDER_DIMENSIONS, outcome))] += n
    return [(dict(key), n) for key, n in merged.items()]


def order_outcome_rules(groups: list[tuple[dict[str, object], int]]) -> dict[str, list[Rule]]:
    """Per outcome, the rules ``attributes → outcome happened`` (lift ≥ 1.2, at least 5 orders)."""
    rules: dict[str, list[Rule]] = {}
    for outcome, happened in ORDER_OUTCOMES.items():
        cases = outcome_groups(groups, outcome)
        mined = mine_group_rules(cases, outcome=outcome, min_support=0.005, min_confidence=0.05)
        rules[outcome] = [
            r
            for r in mined
            if (r.consequent.split("=", 1)[1] in happened if happened else not r.consequent.endswith(NOTHING))
        ]
    return rules


def _order_crosstab(groups: list[tuple[dict[str, object], int]]) -> list[CrossTabRow]:
    rows = []
    for outcome, happened in ORDER_OUTCOMES.items():
        found = _crosstab_rows(outcome_groups(groups, outcome), ORDER_DIMENSIONS, outcome)
        rows += [r for r in found if happened is None or r.outcome in happened]
    rows.sort(key=lambda r: (-r.ratio, -r.hits))
    return rows


def _order_sections(session: Session, scope: Scope, analysis: Analysis) -> list[Rule]:
    """Orders against their outcomes: rules and the exact rates, with lateness in days."""
    groups = [(_readable(c), n) for c, n in repository.order_outcome_groups(session, scope)]
    by_outcome = order_outcome_rules(groups)
    rules = sorted((r for found in by_outcome.values() for r in found), key=lambda r: (-r.lift, -r.support))
    analysis.tables.append(
        _rule_table("order_rules", "订单结果关联规则(评分、差评、退款、投诉、重复咨询、工单分类)", rules[:30])
    )
    analysis.tables.append(
        _crosstab_table(
            "order_crosstab", "交叉表:各维度的订单结果比率", "订单", _order_crosstab(groups), lambda _r: None
        )
    )
    return rules


def associations(session: Session, scope: Scope) -> Analysis:
    repository.tune(session)
    analysis = Analysis("associations", "关联分析")
    ticket_groups = [(_readable(c), n) for c, n in repository.ticket_groups(session, scope)]
    ticket_rules = mine_group_rules(ticket_groups, outcome="问题分类", min_support=0.005)
    parcel_groups = [(_readable(c), n) for c, n in repository.parcel_groups(session, scope)]
    parcel_rules = [
        r
        for r in mine_group_rules(
            parcel_groups, outcome="物流结果", min_support=0.002, min_confidence=0.05, min_lift=1.5
        )
        if not r.consequent.endswith("正常")
    ]
    analysis.tables.append(_rule_table("ticket_rules", "问题分类关联规则(工单)", ticket_rules))
    analysis.tables.append(_rule_table("parcel_rules", "物流问题关联规则(包裹)", parcel_rules))
    analysis.tables.append(
        _crosstab_table(
            "crosstab",
            "交叉表:各维度的物流问题率",
            "包裹",
            _crosstab_rows(parcel_groups, PARCEL_DIMENSIONS, "物流结果"),
            _parcel_link(scope),
        )
    )
    analysis.tables.append(
        _crosstab_table(
            "ticket_crosstab",
            "交叉表:各维度的问题分类占比(工单)",
            "工单",
            _crosstab_rows(ticket_groups, TICKET_DIMENSIONS, "问题分类"),
            _ticket_link(scope),
        )
    )
    order_rules = _order_sections(session, scope, analysis)
    ranked = sorted(ticket_rules + parcel_rules + order_rules, key=lambda r: -r.lift)
    analysis.findings = list(dict.fromkeys(r.sentence() for r in ranked))[:10]
    if ranked:
        top = ranked[:8]
        analysis.charts.append(
            charts.bar_chart(
                "关联规则提升度排行",
                [r.sentence().split(",")[0] for r in top],
                [r.lift for r in top],
                horizontal=True,
            )
        )
    if not ticket_groups:
        analysis.missing.append("范围内没有可关联订单的工单,问题分类关联未计算")
    return analysis
