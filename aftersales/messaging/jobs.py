"""Outbox delivery. A batch is leased in one transaction, sent, then marked in another, so a
crash between send and mark redelivers with the same idempotency key (at-least-once, deduplicable).

The job drains: batch after batch until nothing is due or its time budget is spent, each batch
taking the most urgent messages first, so an SLA alert queued behind thousands of buyer notices
waits for one batch, not for the backlog.
"""

import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.jobs import Checkpoint, job
from aftersales.kit.time import utcnow
from aftersales.messaging.models import OutboxMessage
from aftersales.messaging.service import claim_due, deliver, expire_due, mark_result, mark_sent

BATCH = 1000
MARK_EVERY = 20
BUDGET_SECONDS = 20.0


@job("messaging.deliver_outbox", every=timedelta(seconds=5), max_attempts=1000, checkpoints=True)
def deliver_outbox(
    session: Session, *, checkpoint: Checkpoint, batch: int = BATCH, budget_seconds: float = BUDGET_SECONDS
) -> dict[str, Any]:
    """Each lease and each mark is a checkpoint: a lease must be committed before sending (other
    workers skip the batch), a mark right after (a crash redelivers at most ``MARK_EVERY``)."""
    expired = expire_due(session, now=utcnow())
    checkpoint()
    claimed = sent = 0
    started = time.monotonic()
    while ids := claim_due(session, limit=batch):
        messages = _load(session, ids)
        checkpoint()
        claimed += len(ids)
        sent += _deliver(session, messages, checkpoint)
        if time.monotonic() - started >= budget_seconds:
            break
    return {"claimed": claimed, "sent": sent, "expired": expired}


def _load(session: Session, ids: list[int]) -> list[OutboxMessage]:
    """The leased rows, most urgent first, read in the lease's transaction: on SQLite a read
    after it would begin a write transaction held while the batch is being sent."""
    query = select(OutboxMessage).where(OutboxMessage.id.in_(ids))
    query = query.order_by(OutboxMessage.priority, OutboxMessage.id).execution_options(populate_existing=True)
    return list(session.scalars(query))


def _deliver(session: Session, messages: list[OutboxMessage], checkpoint: Checkpoint) -> int:
    """Send a leased batch; delivered ones are marked ``MARK_EVERY`` at a time in one statement
    (a crash redelivers at most that many, with their keys), a failure at once."""
    sent, unmarked = 0, []
    for message in messages:
        error = deliver(message)
        if error is None:
            unmarked.append(message)
        else:
            mark_result(session, message, error)
        if len(unmarked) >= MARK_EVERY:
            mark_sent(session, unmarked)
            sent, unmarked = sent + len(unmarked), []
        if session.in_transaction():  # a mark, a failure's mark, a signing secret's lookup
            checkpoint()
    mark_sent(session, unmarked)
    checkpoint()
    return sent + len(unmarked)
