"""关联分析: which problems go with which couriers, regions, SKUs, platforms, price bands, agents.

Each case (a ticket, or a parcel) is a basket of items ``"维度=值"``; one dimension is the outcome
(the problem category). mlxtend's FP-growth finds frequent itemsets, ``association_rules`` scores
them, and we keep rules whose consequent is an outcome and whose antecedent holds no outcome:
"圆通 + 新疆 → 物流延误,提升度 4.2". Cross-tab ratios give the plain per-value rates beside them.
NumPy, pandas and mlxtend are imported by the mining itself: the pages and the report that import
this module load them with the first analysis, not with every server worker.
"""

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SEP = "="


@dataclass(frozen=True)
class Rule:
    antecedent: tuple[str, ...]
    consequent: str
    support: float
    confidence: float
    lift: float
    count: int

    def sentence(self) -> str:
        """``圆通 + 新疆 → 物流延误,提升度 4.2`` with the support and confidence that make it credible."""
        left = " + ".join(_value(item) for item in self.antecedent)
        return (
            f"{left} → {_value(self.consequent)},提升度 {self.lift:.1f}"
            f"(置信度 {self.confidence:.0%},支持度 {self.support:.1%},{self.count} 例)"
        )


@dataclass(frozen=True)
class CrossTabRow:
    dimension: str
    value: str
    outcome: str
    cases: int
    hits: int
    rate: float
    base_rate: float

    @property
    def ratio(self) -> float:
        return self.rate / self.base_rate if self.base_rate else 0.0


def _value(item: str) -> str:
    return item.split(SEP, 1)[1]


def item(dimension: str, value: object) -> str:
    return f"{dimension}{SEP}{value}"


Group = tuple[dict[str, Any], int]


def scale(counts: Sequence[int], *, cap: int) -> list[int]:
    """Counts scaled proportionally to sum to ``cap`` (largest remainders: deterministic, exact sum).

    Rules are about shares, so a proportional sample keeps support, confidence and lift up to
    rounding; counts already under the cap are kept as they are.
    """
    total = sum(counts)
    if total <= cap:
        return list(counts)
    quotas = [n * cap / total for n in counts]
    scaled = [int(q) for q in quotas]
    by_remainder = sorted(range(len(counts)), key=lambda i: quotas[i] - scaled[i], reverse=True)
    for i in by_remainder[: cap - sum(scaled)]:
        scaled[i] += 1
    return scaled


def _matrix(groups: Sequence[Group], weights: Sequence[int], *, min_weight: float = 0) -> "pd.DataFrame":
    """One-hot matrix of ``维度=值`` items: each distinct case encoded once, repeated by its weight.

    Items carried by fewer than ``min_weight`` cases are left out: no frequent itemset can hold
    them, and a real export's thousands of SKUs would otherwise make the matrix huge.
    """
    import numpy as np
    import pandas as pd

    rows = [[item(k, v) for k, v in case.items() if v not in (None, "")] for case, _n in groups]
    carried: Counter[str] = Counter()
    for row, weight in zip(rows, weights, strict=True):
        carried.update(dict.fromkeys(row, weight))
    rows = [[i for i in row if carried[i] >= min_weight] for row in rows]
    vocabulary = sorted({i for row in rows for i in row})
    position = {name: n for n, name in enumerate(vocabulary)}
    values = np.zeros((len(rows), len(vocabulary)), dtype=bool)
    for r, row in enumerate(rows):
        values[r, [position[i] for i in row]] = True
    return pd.DataFrame(np.repeat(values, weights, axis=0), columns=vocabulary)


def mine_rules(cases: Sequence[dict[str, object]], **options: Any) -> list[Rule]:
    """Rules from individual cases (identical cases are grouped first)."""
    counts = Counter(tuple(case.items()) for case in cases)
    return mine_group_rules([(dict(key), n) for key, n in counts.items()], **options)


def mine_group_rules(
    groups: Sequence[Group],
    *,
    outcome: str,
    min_support: float = 0.01,
    min_confidence: float = 0.2,
    min_lift: float = 1.2,
    max_len: int = 3,
    min_count: int = 5,
    limit: int = 20,
    cap: int = 20_000,
) -> list[Rule]:
    """Rules ``attributes → outcome`` from grouped cases, ranked by lift, then support.

    FP-growth runs on at most ``cap`` cases (a proportional scaling of the groups); counts in the
    rules are estimated on the real total. ``min_count`` drops rules seen in fewer cases: a lift
    of 10 from two tickets is noise.
    """
    from mlxtend.frequent_patterns import association_rules, fpgrowth

    total = sum(n for _case, n in groups)
    if not total:
        return []
    weights = scale([n for _case, n in groups], cap=cap)
    matrix = _matrix(groups, weights, min_weight=min_support * sum(weights))
    rows = matrix.index
    if matrix.shape[1] == 0:
        return []
    frequent = fpgrowth(matrix, min_support=min_support, use_colnames=True, max_len=max_len)
    if frequent.empty:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table = association_rules(
            frequent, num_itemsets=len(rows), metric="confidence", min_threshold=min_confidence
        )
    prefix = f"{outcome}{SEP}"
    order = {dimension: n for n, dimension in enumerate(groups[0][0])}
    rules = []
    for row in table.itertuples(index=False):
        consequents, antecedents = list(row.consequents), list(row.antecedents)
        if len(consequents) != 1 or not consequents[0].startswith(prefix):
            continue
        if any(a.startswith(prefix) for a in antecedents) or row.lift < min_lift:
            continue
        if round(row.support * total) < min_count:
            continue
        rules.append(
            Rule(
                antecedent=tuple(sorted(antecedents, key=lambda a: (order.get(a.split(SEP)[0], 99), a))),
                consequent=consequents[0],
                support=float(row.support),
                confidence=float(row.confidence),
                lift=float(row.lift),
                count=int(round(row.support * total)),
            )
        )
    rules.sort(key=lambda r: (-r.lift, -r.support, r.antecedent))
    return rules[:limit]
