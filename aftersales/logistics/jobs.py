"""Background work of the logistics domain, declared beside its schedule."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

import aftersales.messaging.customer_channels  # noqa: F401  (customer channels for deliver_outbox)
from aftersales.config import get_settings
from aftersales.jobs import Checkpoint, enqueue, job
from aftersales.jobs.shards import IdRange, enqueue_shards
from aftersales.kit.time import utcnow
from aftersales.logistics import care, defaults, intercepts, regions, service


@job("logistics.scan", every=timedelta(minutes=10))
def scan(session: Session) -> dict[str, Any]:
    """All rules over the parcels of the last 20 days whose outcome can have changed since the
    previous scan (``service.periodic_scan``: incremental, a full sweep when it has nothing to
    start from); follow-up runs as its own job."""
    now = utcnow()
    defaults.ensure_defaults(session)
    counts = service.periodic_scan(session, now=now)
    enqueue(session, "logistics.follow_up", dedupe_key=f"logistics.follow_up@{now:%Y%m%d%H%M}")
    return counts


def fan_out(session: Session, *, now: datetime, shards: int) -> dict[str, Any]:
    """One shard job per id range of the parcels in scope, all measuring from the same ``now``;
    the region holds (by order, not by parcel) are flagged here, once."""
    first, last = service.scan_span(session, now=now)
    enqueue_shards(
        session,
        "logistics.scan_shard",
        shards=shards,
        dedupe_key=f"logistics.scan@{now.isoformat()}",
        now=now.isoformat(),
        first=first,
        last=last,
    )
    return {
        "shards": shards,
        "first": first,
        "last": last,
        "region_holds": service.flag_all_orders(session, now=now),
    }


@job("logistics.scan_shard")
def scan_shard(
    session: Session, *, shard: int, shards: int, now: str, first: int, last: int
) -> dict[str, Any]:
    """Every rule over one id range; a rerun with the same payload writes the same findings."""
    ids = IdRange(shard, shards, first, last)
    counts = service.scan_shard(session, now=datetime.fromisoformat(now), ids=ids)
    enqueue(
        session,
        "logistics.follow_up",
        dedupe_key=f"logistics.follow_up@{now}#{shard}/{shards}",
        shard=shard,
        shards=shards,
        first=first,
        last=last,
    )
    return counts


@job("logistics.daily_sweep", every=timedelta(days=1))
def daily_sweep(session: Session) -> dict[str, Any]:
    """The full sweep (every parcel of the horizon) and the digest; the watermark of the
    incremental periodic scans that follow. With ``AFTERSALES_LOGISTICS_SCAN_SHARDS`` > 1 the
    sweep fans out into that many ``logistics.scan_shard`` jobs, which workers run side by side;
    the periodic scans go on from their own watermark meanwhile, which stays valid: a shard
    only makes its parcels' findings more current, and resolves none seen after its moment."""
    now = utcnow()
    shards = get_settings().logistics_scan_shards
    if shards > 1:
        counts = fan_out(session, now=now, shards=shards)
        service.send_digest(session, now=now)
        return counts
    counts = service.daily_sweep(session, now=now)
    enqueue(session, "logistics.follow_up", dedupe_key=f"logistics.follow_up@sweep{now:%Y%m%d}")
    return counts


@job("logistics.follow_up", checkpoints=True)
def follow_up(
    session: Session,
    *,
    checkpoint: Checkpoint,
    shard: int = 0,
    shards: int = 1,
    first: int = 0,
    last: int = 0,
) -> dict[str, Any]:
    """Tickets and buyer notices for new findings (of one shard's parcels) and region holds (by
    the first shard only), in batches until done; each batch is a checkpoint, so a failure keeps
    the batches already followed up."""
    ids = IdRange(shard, shards, first, last)
    totals = {"followed_up": 0, "messages": 0, "resolved": 0, "region_notices": 0}
    while True:
        done = service.follow_up(session, ids=ids)
        for name in ("followed_up", "messages", "resolved"):
            totals[name] += done[name]
        checkpoint()
        if max(done["followed_up"], done["resolved"]) < service.FOLLOW_UP_BATCH:
            break
    if shard == 0:
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
    """Schedule steps for newly delivered orders, drop the ones whose moment passed (after an
    outage), then send what is due (outside quiet hours)."""
    now = utcnow()
    scheduled = care.schedule(session, now=now)
    expired = care.expire_stale(session, now=now)
    return {"scheduled_orders": scheduled, "expired": expired, "queued": care.send_due(session, now=now)}
