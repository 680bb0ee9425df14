"""Background work of the logistics domain, declared beside its schedule."""

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

import aftersales.messaging.customer_channels  # noqa: F401  (customer channels for deliver_outbox)
from aftersales.jobs import enqueue, job
from aftersales.kit.time import utcnow
from aftersales.logistics import care, defaults, intercepts, regions, service


@job("logistics.scan", every=timedelta(minutes=10))
def scan(session: Session) -> dict[str, Any]:
    """All rules over the parcels of the last 20 days; follow-up runs as its own job."""
    now = utcnow()
    defaults.ensure_defaults(session)
    counts = service.scan(session, now=now)
    enqueue(session, "logistics.follow_up", dedupe_key=f"logistics.follow_up@{now:%Y%m%d%H%M}")
    return counts


@job("logistics.daily_sweep", every=timedelta(days=1))
def daily_sweep(session: Session) -> dict[str, Any]:
    now = utcnow()
    counts = service.daily_sweep(session, now=now)
    enqueue(session, "logistics.follow_up", dedupe_key=f"logistics.follow_up@sweep{now:%Y%m%d}")
    return counts


@job("logistics.follow_up")
def follow_up(session: Session) -> dict[str, Any]:
    """Tickets and buyer notices for new findings and region holds, in batches until done."""
    totals = {"followed_up": 0, "messages": 0, "region_notices": 0}
    while True:
        done = service.follow_up(session)
        totals["followed_up"] += done["followed_up"]
        totals["messages"] += done["messages"]
        session.commit()
        if done["followed_up"] < service.FOLLOW_UP_BATCH:
            break
    totals["region_notices"] = regions.notify_holds(session)
    return totals


@job("logistics.submit_intercept", max_attempts=8)
def submit_intercept(session: Session, intercept_id: int) -> dict[str, Any]:
    intercept = intercepts.submit(session, intercept_id=intercept_id)
    return {"intercept_id": intercept_id, "status": str(intercept.status)}


@job("logistics.poll_intercepts", every=timedelta(minutes=30))
def poll_intercepts(session: Session) -> dict[str, Any]:
    return intercepts.poll(session)


@job("logistics.care", every=timedelta(minutes=15))
def care_sequence(session: Session) -> dict[str, Any]:
    """Schedule steps for newly delivered orders, then send what is due (outside quiet hours)."""
    scheduled = care.schedule(session)
    return {"scheduled_orders": scheduled, "queued": care.send_due(session)}
