"""Outbox delivery. Each message is leased in one transaction, sent, then marked in another, so a
crash between send and mark redelivers with the same idempotency key (at-least-once, deduplicable).
"""

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.jobs import job
from aftersales.messaging.models import OutboxMessage
from aftersales.messaging.service import claim_due, deliver, mark_result


@job("messaging.deliver_outbox", every=timedelta(seconds=30), max_attempts=1000)
def deliver_outbox(session: Session, batch: int = 200) -> dict[str, Any]:
    ids = claim_due(session, limit=batch)
    session.commit()
    sent = 0
    for message_id in ids:
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        error = deliver(message)
        mark_result(session, message, error)
        session.commit()
        sent += error is None
    return {"claimed": len(ids), "sent": sent}
