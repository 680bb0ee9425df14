"""Demo coaching: the training plans of the promotion fortnight around the demo's peak day, made
from the QC findings of the demo chats (tail agents paired with top agents)."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.demo.context import DemoContext
from aftersales.kit.time import local_day_bounds
from aftersales.qc import training_plans
from aftersales.qc.training_models import TrainingPlan

PROMOTION_DAYS = 7  # on each side of the peak day


def extend(session: Session, ctx: DemoContext) -> None:
    if session.scalar(select(func.count(TrainingPlan.id))):
        return
    peak = ctx.config.peak_day
    since = local_day_bounds(peak - timedelta(days=PROMOTION_DAYS))[0]
    until = local_day_bounds(peak + timedelta(days=PROMOTION_DAYS))[1]
    plans = training_plans.generate(session, since=since, until=until, created_by=None)
    ctx.summary["training_plans"] = len(plans)
