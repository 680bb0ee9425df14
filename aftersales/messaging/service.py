"""Writing to the outbox and delivering from it."""

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aftersales.config import get_settings
from aftersales.jobs.runner import backoff
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore
from aftersales.messaging.channels import DeliveryError, get_channel
from aftersales.messaging.models import OutboxMessage, OutboxStatus

log = logging.getLogger(__name__)

SEND_LEASE = timedelta(minutes=2)


def queue_message(
    session: Session,
    *,
    channel: str,
    destination: str,
    payload: dict[str, Any],
    idempotency_key: str,
    subject: tuple[str, int] | None = None,
) -> None:
    """Queue in the caller's transaction; a second call with the same key is a no-op."""
    now = utcnow()
    row = {
        "channel": channel,
        "destination": destination,
        "payload": payload,
        "idempotency_key": idempotency_key,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "max_attempts": get_settings().outbox_max_attempts,
        "next_attempt_at": now,
        "subject_type": subject[0] if subject else None,
        "subject_id": subject[1] if subject else None,
        "created_at": now,
    }
    insert_ignore(session, OutboxMessage, [row], conflict_columns=["idempotency_key"])


def claim_due(session: Session, *, limit: int) -> list[int]:
    """Lease due messages; a lease that expires (the worker died mid-send) makes them due again."""
    now = utcnow()
    due = (OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])) & (
        OutboxMessage.next_attempt_at <= now
    )
    query = select(OutboxMessage.id).where(due).order_by(OutboxMessage.next_attempt_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .values(
                status=OutboxStatus.SENDING,
                next_attempt_at=now + SEND_LEASE,
                attempts=OutboxMessage.attempts + 1,
            )
        )
    return ids


def mark_result(session: Session, message: OutboxMessage, error: str | None) -> None:
    if error is None:
        message.status = OutboxStatus.SENT
        message.sent_at = utcnow()
        message.last_error = None
        return
    message.last_error = error[:2000]
    if message.attempts >= message.max_attempts:
        message.status = OutboxStatus.DEAD
    else:
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = utcnow() + backoff(message.attempts)


def deliver(message: OutboxMessage) -> str | None:
    """Send one message; returns the error text, or None on success."""
    try:
        get_channel(message.channel).send(message)
    except DeliveryError as exc:
        log.warning("outbox %s via %s failed: %s", message.id, message.channel, exc)
        return str(exc)
    return None


def retry_dead(session: Session, *, message_id: int) -> None:
    """A person decided a dead letter should be tried again."""
    message = session.get(OutboxMessage, message_id)
    if message is not None and message.status == OutboxStatus.DEAD:
        message.status = OutboxStatus.PENDING
        message.attempts = 0
        message.next_attempt_at = utcnow()
