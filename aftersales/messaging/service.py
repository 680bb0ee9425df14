"""Writing to the outbox and delivering from it."""

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aftersales.config import get_settings
from aftersales.jobs.runner import backoff
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore
from aftersales.messaging.channels import DeliveryError, get_channel
from aftersales.messaging.models import OutboxMessage, OutboxStatus

if TYPE_CHECKING:
    from aftersales.messaging.templates import OrderRows

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


def queue_messages(session: Session, rows: list[dict[str, Any]]) -> None:
    """Bulk ``queue_message``: each row has channel, destination, payload, idempotency_key and
    optionally subject; one batched insert, keys already queued are skipped."""
    now = utcnow()
    max_attempts = get_settings().outbox_max_attempts
    values = [
        {
            "channel": r["channel"],
            "destination": r["destination"],
            "payload": r["payload"],
            "idempotency_key": r["idempotency_key"],
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "max_attempts": max_attempts,
            "next_attempt_at": now,
            "subject_type": r["subject"][0] if r.get("subject") else None,
            "subject_id": r["subject"][1] if r.get("subject") else None,
            "created_at": now,
        }
        for r in rows
    ]
    insert_ignore(session, OutboxMessage, values, conflict_columns=["idempotency_key"])


def customer_destination(rows: "OrderRows", channel: str, extra: dict[str, Any] | None = None) -> str:
    """Where a customer message about this order goes on ``channel``."""
    from aftersales.messaging.customer_channels import im_destination

    extra = extra or {}
    if channel == "platform_im":
        return im_destination(str(rows.order.platform), rows.order.shop_code, rows.order.buyer)
    if channel == "sms":
        phone = extra.get("phone") or rows.order.receiver_phone or rows.order.buyer_phone
        if not phone:
            raise InvalidInputError("channel", "订单没有收件人手机号,无法发送短信")
        return str(phone)
    if channel in ("email", "webhook"):
        target = extra.get("email" if channel == "email" else "url")
        if not target:
            raise InvalidInputError("channel", f"{channel} 渠道需要在 extra 中提供收件地址")
        return str(target)
    raise InvalidInputError("channel", f"未知渠道: {channel}")


def send_customer_messages(
    session: Session,
    *,
    template_code: str,
    sends: list[tuple[int, str, dict[str, Any] | None]],
    channel: str | None = None,
) -> int:
    """Render one template for many orders and queue them in one insert.

    ``sends`` holds ``(order_id, idempotency_key, extra)``. Orders are loaded in bulk, so a scan
    that notifies thousands of buyers costs a few queries, not thousands.
    """
    from aftersales.messaging.templates import get_template, load_order_rows, render, validate_template

    template = get_template(session, template_code)
    target = channel or template.channel
    # SMS gateways send registered templates filled with variables, not free text (阿里云短信's
    # TemplateParam): the variables travel beside the rendered text.
    sms_variables = sorted(validate_template(template.body)) if target == "sms" else []
    loaded = load_order_rows(session, sorted({order_id for order_id, _, _ in sends}))
    rows = []
    for order_id, key, extra in sends:
        order_rows = loaded[order_id]
        context = {**order_rows.context(), **(extra or {})}
        payload: dict[str, Any] = {
            "text": render(template.body, context),
            "subject": render(template.subject, context) if template.subject else None,
            "template_code": template_code,
            "order_id": order_id,
        }
        if sms_variables:
            payload["params"] = {name: _param_text(context.get(name)) for name in sms_variables}
        destination = customer_destination(order_rows, target, extra)
        rows.append(
            {
                "channel": target,
                "destination": destination,
                "payload": payload,
                "idempotency_key": key,
                "subject": ("order", order_id),
            }
        )
    queue_messages(session, rows)
    return len(rows)


def _param_text(value: Any) -> str:
    return "" if value is None else str(value)


def send_customer_message(
    session: Session,
    *,
    order_id: int,
    template_code: str,
    channel: str | None = None,
    idempotency_key: str,
    extra: dict[str, Any] | None = None,
) -> None:
    """Render ``template_code`` with the order's variables (plus ``extra``) and queue it.

    The channel defaults to the template's; the destination follows from the order (buyer account
    for platform IM, receiver phone for SMS, ``extra["email"]`` for email).
    """
    send_customer_messages(
        session, template_code=template_code, sends=[(order_id, idempotency_key, extra)], channel=channel
    )


def dead_letters(
    session: Session, *, channels: list[str] | None = None, limit: int = 200
) -> list[OutboxMessage]:
    """Messages that ran out of retries, newest first, for the console's dead-letter list."""
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD)
    if channels:
        query = query.where(OutboxMessage.channel.in_(channels))
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))
