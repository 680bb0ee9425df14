"""A sharded scan whose findings go out through the outbox, slow enough to be killed midway.

Like the real scans it commits in chunks and keys each finding by what it is about, so a rerun
after a crash adds only what is missing.
"""

import time
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.jobs import job
from aftersales.jobs.shards import shard_clause
from aftersales.messaging.models import OutboxMessage
from aftersales.messaging.service import queue_message
from aftersales.orders.models import Order

CHUNK = 10


def finding_key(order_id: int) -> str:
    return f"test-finding:{order_id}"


@job("test.findings_scan")
def findings_scan(
    session: Session, *, shard: int, shards: int, url: str, delay: float = 0.01
) -> dict[str, Any]:
    order_ids = list(
        session.scalars(select(Order.id).where(shard_clause(Order.id, shard=shard, shards=shards)))
    )
    for index, order_id in enumerate(order_ids, start=1):
        time.sleep(delay)
        queue_message(
            session,
            channel="webhook",
            destination=url,
            payload={"order_id": order_id, "finding": "late"},
            idempotency_key=finding_key(order_id),
        )
        if index % CHUNK == 0:
            session.commit()
    keys = [finding_key(i) for i in order_ids]
    stored = (
        session.scalar(select(func.count()).where(OutboxMessage.idempotency_key.in_(keys))) if keys else 0
    )
    return {"orders": len(order_ids), "findings": stored}
