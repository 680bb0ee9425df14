"""Daily check of yesterday's scorecards against targets (seed 000: 低于考核值则提醒)."""

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.analytics import scorecards, service
from aftersales.jobs.registry import job
from aftersales.kit.time import SHANGHAI, utcnow


@job("analytics.check_targets", every=timedelta(hours=24))
def check_targets(session: Session, **_: Any) -> dict[str, Any]:
    """Every level (platform, shop, group, agent) of yesterday (Shanghai); reruns raise nothing new."""
    day = utcnow().astimezone(SHANGHAI).date() - timedelta(days=1)
    created = {
        level: len(service.check_targets(session, start=day, end=day, level=level))
        for level in scorecards.LEVELS
    }
    return {"day": day.isoformat(), "alerts": created}
