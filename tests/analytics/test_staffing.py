import pytest

from aftersales.analytics.forecast.staffing import (
    THREE_SHIFTS,
    ServiceTarget,
    Shift,
    agents_needed,
    erlang_c_wait_probability,
    hourly_requirement,
    plan_shifts,
    service_level,
)

# Published Erlang C example (callcentrehelper.com, "Erlang C formula – made simple"):
# 100 calls per 30 minutes, 180 s handling, target 80% within 20 s.
PUBLISHED = {11: (0.6821, 0.3896), 12: (0.4494, 0.6402), 13: (0.2853, 0.7956), 14: (0.1741, 0.8884)}


class TestErlangC:
    @pytest.mark.parametrize("agents", sorted(PUBLISHED))
    def test_wait_probability_matches_published_value(self, agents: int) -> None:
        got = erlang_c_wait_probability(arrivals_per_hour=200, handle_seconds=180, agents=agents)
        assert got == pytest.approx(PUBLISHED[agents][0], abs=1e-3)

    @pytest.mark.parametrize("agents", sorted(PUBLISHED))
    def test_service_level_matches_published_value(self, agents: int) -> None:
        got = service_level(arrivals_per_hour=200, handle_seconds=180, answer_seconds=20, agents=agents)
        assert got == pytest.approx(PUBLISHED[agents][1], abs=1e-3)

    def test_published_example_needs_fourteen_agents_for_eighty_percent_in_twenty_seconds(self) -> None:
        assert agents_needed(200, ServiceTarget(max_occupancy=1.0)) == 14

    def test_an_hour_without_contacts_needs_nobody(self) -> None:
        assert agents_needed(0) == 0

    def test_shrinkage_raises_the_requirement(self) -> None:
        assert agents_needed(200, ServiceTarget(shrinkage=0.3)) > agents_needed(200)


class TestShiftPlan:
    def test_seed_004_plan_is_six_agents_two_per_shift_from_eight_to_midnight(self) -> None:
        # Seed 004: 早/中/晚 shifts 08:00-24:00, ≥ 2 per shift, first reply < 20 s, modest volume.
        requirement = hourly_requirement([0.0] * 8 + [10.0] * 16)
        plan = plan_shifts(requirement, shifts=THREE_SHIFTS, min_per_shift=2)
        assert plan.agents == {"早班": 2, "中班": 2, "晚班": 2}
        assert plan.total_agents == 6
        assert min(plan.coverage[8:24]) >= 2

    def test_peak_hour_gets_the_extra_agent_on_a_single_shift(self) -> None:
        requirement = [0] * 8 + [2] * 16
        requirement[14] = 5
        plan = plan_shifts(requirement, min_per_shift=2)
        assert plan.total_agents == 7
        assert plan.coverage[14] >= 5

    def test_plan_uses_the_fewest_agent_hours(self) -> None:
        shifts = (Shift("长班", 8, 20), Shift("短班", 12, 16))
        requirement = [0] * 24
        requirement[13] = 3
        plan = plan_shifts(requirement, shifts=shifts)
        assert plan.agents == {"长班": 0, "短班": 3}
        assert plan.agent_hours == 12

    def test_demand_outside_every_shift_is_refused(self) -> None:
        requirement = [1] + [0] * 23
        with pytest.raises(ValueError, match="没有班次覆盖"):
            plan_shifts(requirement)
