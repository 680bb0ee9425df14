"""Care sequence settings per shop: when each step goes out after delivery, and the quiet hours.

Defaults (seed 000): 签收关怀 24 h, 使用回访 3 days, 评价邀请 7 days after delivery, nothing sent
21:00–09:00 Asia/Shanghai. A shop's row overrides them all; steps must come in that order.
"""

from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import SHANGHAI
from aftersales.logistics.models import CareSettings, CareStep


@dataclass(frozen=True)
class QuietHours:
    start: time = time(21, 0)
    end: time = time(9, 0)

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(SHANGHAI).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


@dataclass(frozen=True)
class CarePlan:
    care_delay_hours: int = 24
    usage_delay_hours: int = 72
    feedback_delay_hours: int = 168
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)

    @property
    def delays(self) -> dict[CareStep, timedelta]:
        return {
            CareStep.CARE: timedelta(hours=self.care_delay_hours),
            CareStep.USAGE: timedelta(hours=self.usage_delay_hours),
            CareStep.FEEDBACK: timedelta(hours=self.feedback_delay_hours),
        }

    @property
    def quiet(self) -> QuietHours:
        return QuietHours(self.quiet_start, self.quiet_end)

    @classmethod
    def from_row(cls, row: CareSettings) -> "CarePlan":
        return cls(**{name: getattr(row, name) for name in asdict(DEFAULT_PLAN)})


DEFAULT_PLAN = CarePlan()


def plans_by_shop(session: Session) -> dict[int, CarePlan]:
    """The shops that set their own plan (every other shop uses ``DEFAULT_PLAN``)."""
    return {row.shop_id: CarePlan.from_row(row) for row in session.scalars(select(CareSettings))}


def plan_for(session: Session, shop_id: int) -> CarePlan:
    row = session.scalar(select(CareSettings).where(CareSettings.shop_id == shop_id))
    return DEFAULT_PLAN if row is None else CarePlan.from_row(row)


def save_plan(session: Session, *, shop_id: int, values: dict[str, Any]) -> CarePlan:
    """Store a shop's plan; the steps must go out in order (care, then usage, then feedback)."""
    if session.get(Shop, shop_id) is None:
        raise InvalidInputError("shop_id", f"店铺不存在: {shop_id}")
    plan = CarePlan(**values)
    if not plan.care_delay_hours < plan.usage_delay_hours:
        raise InvalidInputError("usage_delay_hours", "使用回访须晚于签收关怀")
    if not plan.usage_delay_hours < plan.feedback_delay_hours:
        raise InvalidInputError("feedback_delay_hours", "评价邀请须晚于使用回访")
    row = session.scalar(select(CareSettings).where(CareSettings.shop_id == shop_id))
    if row is None:
        session.add(CareSettings(shop_id=shop_id, **asdict(plan)))
    else:
        for name, value in asdict(plan).items():
            setattr(row, name, value)
    session.flush()
    return plan
