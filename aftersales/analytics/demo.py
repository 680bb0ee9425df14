"""Demo: the team's 考核值 (seed 004: 首响 < 20 秒, 满意度 > 90%, 首次解决率 ≥ 80%) and the alerts
they raise over the promotion, so the scorecard page opens with highlighted cells and reminders."""

from datetime import timedelta

from sqlalchemy.orm import Session

from aftersales.analytics import service
from aftersales.demo.context import DemoContext
from aftersales.kit.time import SHANGHAI

TARGETS = (
    ("first_response", "agent", 20.0),
    ("satisfaction_rate", "agent", 0.9),
    ("fcr", "agent", 0.8),
    ("satisfaction_rate", "shop", 0.9),
    ("negative_rate", "shop", 0.05),
)


def extend(session: Session, ctx: DemoContext) -> None:
    for metric, level, value in TARGETS:
        service.set_target(session, metric=metric, level=level, value=value)
    end = ctx.config.as_of.astimezone(SHANGHAI).date() - timedelta(days=1)
    start = min(ctx.config.peak_day, end)
    alerts = service.check_targets(session, start=start, end=end, level="agent")
    alerts += service.check_targets(session, start=start, end=end, level="shop")
    ctx.summary["analytics_alerts"] = len(alerts)
