"""Agents per hour from the forecast (Erlang C) and the cheapest shift plan that covers them.

Erlang C comes from pyworkforce (a kept implementation; tests check it against published values).
The shift plan is a small integer programme solved exactly with scipy's HiGHS ``milp``: choose how
many agents work each candidate shift so that every hour has its requirement, every shift its
minimum, and the total agent-hours are as few as possible.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ServiceTarget:
    """ "80% of first replies within 20 s" with 3-minute handling, from seed 004's 首响 < 20 秒."""

    service_level: float = 0.8
    answer_seconds: float = 20.0
    handle_seconds: float = 180.0
    max_occupancy: float = 0.85
    shrinkage: float = 0.0


@dataclass(frozen=True)
class Shift:
    name: str
    start: int
    end: int

    @property
    def hours(self) -> int:
        return self.end - self.start

    def covers(self, hour: int) -> bool:
        return self.start <= hour < self.end


# Seed 004: 早/中/晚 three shifts over 08:00-24:00.
THREE_SHIFTS = (Shift("早班", 8, 16), Shift("中班", 12, 20), Shift("晚班", 16, 24))


@dataclass(frozen=True)
class ShiftPlan:
    agents: dict[str, int]
    coverage: list[int]
    requirement: list[int]
    shifts: tuple[Shift, ...] = field(default=THREE_SHIFTS)

    @property
    def total_agents(self) -> int:
        return sum(self.agents.values())

    @property
    def agent_hours(self) -> int:
        return sum(self.agents[s.name] * s.hours for s in self.shifts)

    def describe(self) -> str:
        parts = "、".join(
            f"{s.name}({s.start:02d}:00-{s.end:02d}:00) {self.agents[s.name]} 人" for s in self.shifts
        )
        return f"共需 {self.total_agents} 名客服,{self.agent_hours} 人时:{parts}"


def _erlang_c(**parameters: float) -> Any:
    """pyworkforce's Erlang C (it loads OR-Tools and SciPy, over a second: on first use)."""
    from pyworkforce.queuing import ErlangC

    return ErlangC(**parameters)


def erlang_c_wait_probability(*, arrivals_per_hour: float, handle_seconds: float, agents: int) -> float:
    """Probability that a contact has to wait (Erlang C), for checking against published tables."""
    model = _erlang_c(transactions=arrivals_per_hour, aht=handle_seconds / 60, asa=1, interval=60)
    return float(model.waiting_probability(agents))


def service_level(
    *, arrivals_per_hour: float, handle_seconds: float, answer_seconds: float, agents: int
) -> float:
    model = _erlang_c(
        transactions=arrivals_per_hour, aht=handle_seconds / 60, asa=answer_seconds / 60, interval=60
    )
    return float(model.service_level(agents))


def agents_needed(arrivals_per_hour: float, target: ServiceTarget = ServiceTarget()) -> int:
    """Agents on line for one hour of ``arrivals_per_hour`` contacts; an hour without contacts needs none."""
    if arrivals_per_hour <= 0:
        return 0
    model = _erlang_c(
        transactions=arrivals_per_hour,
        aht=target.handle_seconds / 60,
        asa=target.answer_seconds / 60,
        interval=60,
        shrinkage=target.shrinkage,
    )
    result = model.required_positions(service_level=target.service_level, max_occupancy=target.max_occupancy)
    return int(result["positions"])


def hourly_requirement(volume_by_hour: list[float], target: ServiceTarget = ServiceTarget()) -> list[int]:
    """Erlang C requirement for each of the 24 hours of the day."""
    return [agents_needed(v, target) for v in volume_by_hour]


def plan_shifts(
    requirement: list[int],
    *,
    shifts: tuple[Shift, ...] = THREE_SHIFTS,
    min_per_shift: int = 0,
    min_on_duty: int = 0,
) -> ShiftPlan:
    """Fewest agent-hours covering every hour's requirement (and ``min_on_duty`` in opening hours).

    Opening hours are the hours some shift covers; hours no shift covers must need nobody, or the
    plan is impossible and ``ValueError`` names them.
    """
    open_hours = [h for h in range(24) if any(s.covers(h) for s in shifts)]
    need = [max(requirement[h], min_on_duty if h in open_hours else 0) for h in range(24)]
    uncovered = [h for h in range(24) if need[h] > 0 and h not in open_hours]
    if uncovered:
        raise ValueError(f"这些小时有需求但没有班次覆盖: {uncovered}")
    from scipy.optimize import Bounds, LinearConstraint, milp

    matrix = np.array([[1 if s.covers(h) else 0 for s in shifts] for h in open_hours])
    cost = np.array([s.hours for s in shifts], dtype=float)
    result = milp(
        cost,
        constraints=LinearConstraint(matrix, lb=np.array([need[h] for h in open_hours]), ub=np.inf),
        integrality=np.ones(len(shifts)),
        bounds=Bounds(lb=np.full(len(shifts), float(min_per_shift)), ub=np.inf),
    )
    if not result.success:
        raise ValueError(f"排班无解: {result.message}")
    agents = {s.name: int(round(x)) for s, x in zip(shifts, result.x, strict=True)}
    coverage = [sum(agents[s.name] for s in shifts if s.covers(h)) for h in range(24)]
    return ShiftPlan(agents=agents, coverage=coverage, requirement=need, shifts=shifts)


def peak_profile(hourly_volumes: list[tuple[int, float]]) -> list[float]:
    """The busiest value seen for each hour of the day: a plan must survive the peak day."""
    profile = [0.0] * 24
    for hour, volume in hourly_volumes:
        profile[hour] = max(profile[hour], volume)
    return profile
