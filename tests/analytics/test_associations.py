import random
from collections import Counter

from aftersales.analytics.associations import mine_group_rules, mine_rules, scale


def _cases_with_planted_link(count: int = 2000) -> list[dict[str, object]]:
    """Random couriers/regions/problems, except 圆通 to 新疆, which is mostly 物流延误."""
    rng = random.Random(3)
    problems = ["物流延误", "质量问题", "描述不符", "错发漏发", "主观不满意"]
    cases: list[dict[str, object]] = []
    for _ in range(count):
        courier = rng.choice(["圆通", "中通", "顺丰", "韵达"])
        region = rng.choice(["新疆", "浙江", "广东", "四川", "江苏"])
        planted = courier == "圆通" and region == "新疆" and rng.random() < 0.85
        problem = "物流延误" if planted else rng.choice(problems)
        cases.append({"快递": courier, "地区": region, "问题": problem})
    return cases


class TestMineRules:
    def test_planted_link_is_the_top_rule(self) -> None:
        top = mine_rules(_cases_with_planted_link(), outcome="问题")[0]
        assert top.antecedent == ("快递=圆通", "地区=新疆")
        assert top.consequent == "问题=物流延误"
        assert top.lift > 2

    def test_rule_reads_as_a_chinese_sentence(self) -> None:
        top = mine_rules(_cases_with_planted_link(), outcome="问题")[0]
        assert top.sentence().startswith("圆通 + 新疆 → 物流延误,提升度 ")

    def test_lift_is_confidence_over_the_outcome_share(self) -> None:
        cases = [{"a": "x", "o": "p"}] * 3 + [{"a": "x", "o": "q"}] + [{"a": "y", "o": "q"}] * 4
        rule = next(
            r for r in mine_rules(cases, outcome="o", min_lift=1.0, min_count=1) if r.antecedent == ("a=x",)
        )
        # P(p | x) = 3/4, P(p) = 3/8: lift 2, support 3/8.
        assert (rule.confidence, rule.lift, rule.support, rule.count) == (0.75, 2.0, 0.375, 3)

    def test_rules_seen_in_too_few_cases_are_dropped(self) -> None:
        cases = [{"a": "x", "o": "p"}] * 3 + [{"a": "y", "o": "q"}] * 5
        assert [r.antecedent for r in mine_rules(cases, outcome="o", min_count=4)] == [("a=y",)]

    def test_no_cases_give_no_rules(self) -> None:
        assert mine_rules([], outcome="问题") == []

    def test_rules_never_predict_from_the_outcome_itself(self) -> None:
        rules = mine_rules(_cases_with_planted_link(), outcome="问题", min_lift=0)
        assert all(not any(a.startswith("问题=") for a in r.antecedent) for r in rules)


class TestScale:
    def test_counts_under_the_cap_are_kept(self) -> None:
        assert scale([2, 1], cap=10) == [2, 1]

    def test_large_counts_scale_down_proportionally_to_the_cap(self) -> None:
        assert scale([7000, 2999, 1], cap=100) == [70, 30, 0]


class TestGroupRules:
    def test_grouped_cases_give_the_same_rule_as_individual_ones(self) -> None:
        cases = _cases_with_planted_link()
        grouped = Counter(tuple(c.items()) for c in cases)
        rules = mine_group_rules([(dict(k), n) for k, n in grouped.items()], outcome="问题")
        assert rules == mine_rules(cases, outcome="问题")

    def test_counts_are_real_counts_when_the_sample_is_capped(self) -> None:
        groups = [
            ({"a": "x", "o": "p"}, 30_000),
            ({"a": "x", "o": "q"}, 10_000),
            ({"a": "y", "o": "q"}, 40_000),
        ]
        rule = next(r for r in mine_group_rules(groups, outcome="o", cap=800) if r.antecedent == ("a=x",))
        assert (rule.count, rule.confidence, rule.lift) == (30_000, 0.75, 2.0)
