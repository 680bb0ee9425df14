"""Writing to the outbox and delivering from it."""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from aftersales.config import get_settings
from aftersales.db import is_postgres
from aftersales.jobs.runner import backoff
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore
from aftersales.messaging.channels import DeliveryError, get_channel
from aftersales.messaging.links import LINK_VARIABLES, link
from aftersales.messaging.models import OutboxMessage, OutboxStatus, Priority

if TYPE_CHECKING:
    from aftersales.messaging.templates import OrderRows

log = logging.getLogger(__name__)

SEND_LEASE = timedelta(minutes=2)
# How long an automatic customer message stays worth sending when its sender names no window:
# a notice about today's parcel is wrong after a two-week outage.
DEFAULT_VALIDITY = timedelta(days=2)


def queue_message(
    session: Session,
    *,
    channel: str,
    destination: str,
    payload: dict[str, Any],
    idempotency_key: str,
    subject: tuple[str, int] | None = None,
    priority: int = Priority.NORMAL,
    expires_at: datetime | None = None,
    reason: dict[str, Any] | None = None,
) -> None:
    """Queue in the caller's transaction; a second call with the same key is a no-op."""
    queue_messages(
        session,
        [
            {
                "channel": channel,
                "destination": destination,
                "payload": payload,
                "idempotency_key": idempotency_key,
                "subject": subject,
                "priority": priority,
                "expires_at": expires_at,
                "reason": reason,
            }
        ],
    )


def expire_due(session: Session, *, now: datetime) -> int:
    """Pending messages whose moment has passed (a care message weeks after delivery, after an
    outage) become expired instead of being sent; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.expires_at.is_not(None),
            OutboxMessage.expires_at <= now,
        )
        .values(status=OutboxStatus.EXPIRED, last_error="有效期已过,未发送")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def claim_due(session: Session, *, limit: int) -> list[int]:
    """Lease due messages, most urgent priority first; a lease that expires (the worker died
    mid-send) makes them due again."""
    now = utcnow()
    due = (OutboxMessage.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING])) & (
        OutboxMessage.next_attempt_at <= now
    )
    query = (
        select(OutboxMessage.id)
        .where(due)
        .order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if is_postgres(session):
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
            .execution_options(synchronize_session=False)
        )
    return ids


def mark_sent(session: Session, messages: list[OutboxMessage]) -> None:
    """One statement for delivered messages (a statement per message caps the drain rate); the
    loaded objects get the same values without being flushed again."""
    if not messages:
        return
    now = utcnow()
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([m.id for m in messages]))
        .values(status=OutboxStatus.SENT, sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    for message in messages:
        set_committed_value(message, "status", OutboxStatus.SENT)
        set_committed_value(message, "sent_at", now)
        set_committed_value(message, "last_error", None)


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
    optionally subject, priority, expires_at, reason and status (``held`` with ``last_error``);
    one batched insert, keys already queued are skipped."""
    now = utcnow()
    max_attempts = get_settings().outbox_max_attempts
    values = [
        {
            "channel": r["channel"],
            "destination": r["destination"],
            "payload": r["payload"],
            "idempotency_key": r["idempotency_key"],
            "status": r.get("status", OutboxStatus.PENDING),
            "last_error": r.get("last_error"),
            "attempts": 0,
            "max_attempts": max_attempts,
            "next_attempt_at": now,
            "subject_type": r["subject"][0] if r.get("subject") else None,
            "subject_id": r["subject"][1] if r.get("subject") else None,
            "priority": r.get("priority", Priority.NORMAL),
            "expires_at": r.get("expires_at"),
            "reason": r.get("reason"),
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


@dataclass(frozen=True)
class CustomerSend:
    """One automatic message about an order.

    ``key``: the cause (one message per cause and parcel or order; the outbox refuses a second).
    ``parcel_id``: the parcel the message is about, whose courier, number, status and ETA it
    names. ``why``: the rule and finding behind it, kept on the message for the console.
    ``expires_at``: when its moment has passed (default: ``DEFAULT_VALIDITY`` from now).
    """

    order_id: int
    key: str
    extra: dict[str, Any] | None = None
    parcel_id: int | None = None
    why: dict[str, Any] = field(default_factory=dict)
    expires_at: datetime | None = None


def send_customer_messages(
    session: Session, *, template_code: str, sends: list[CustomerSend], channel: str | None = None
) -> int:
    """Render one template for many orders and queue them in one insert; returns how many.

    Orders are loaded in bulk, so a scan that notifies thousands of buyers costs a few queries,
    not thousands. A text that would print an empty or unknown variable is queued as held
    (待处理, with the variables named) instead of pending: it is shown to supervisors, never sent.
    """
    rows = render_customer_messages(session, template_code=template_code, sends=sends, channel=channel)
    queue_messages(session, rows)
    return len(rows)


def render_customer_messages(
    session: Session, *, template_code: str, sends: list[CustomerSend], channel: str | None = None
) -> list[dict[str, Any]]:
    """The outbox rows ``send_customer_messages`` would queue, without queueing them (the
    supervisors' preview of what automation will send)."""
    from aftersales.messaging.templates import (
        get_template,
        load_order_rows,
        render_checked,
        validate_template,
    )

    template = get_template(session, template_code)
    target = channel or template.channel
    # SMS gateways send registered templates filled with variables, not free text (阿里云短信's
    # TemplateParam): the variables travel beside the rendered text.
    used = validate_template(template.body)
    sms_variables = sorted(used) if target == "sms" else []
    links = [name for name in LINK_VARIABLES if name in used]  # signing costs: only when printed
    loaded = load_order_rows(session, sorted({send.order_id for send in sends}))
    expires_at = utcnow() + DEFAULT_VALIDITY
    rows = []
    for send in sends:
        order_rows = loaded[send.order_id]
        context = {**order_rows.context(parcel_id=send.parcel_id), **(send.extra or {})}
        context.update((name, link(name, send.order_id)) for name in links)
        text, blanks = render_checked(template.body, context)
        subject, subject_blanks = (
            render_checked(template.subject, context) if template.subject else (None, [])
        )
        reason = {
            "rule": template.name,  # a message without a rule of its own is the template's
            **send.why,
            "template": template_code,
            "template_name": template.name,
            "template_version": template.version,
        }
        if send.parcel_id is not None:
            reason.setdefault("parcel", context["tracking_no"])
        row = {
            "channel": target,
            "destination": customer_destination(order_rows, target, send.extra),
            "payload": {
                "text": text,
                "subject": subject,
                "template_code": template_code,
                "order_id": send.order_id,
                **(
                    {"params": {name: _param_text(context.get(name)) for name in sms_variables}}
                    if sms_variables
                    else {}
                ),
            },
            "idempotency_key": send.key,
            "subject": ("order", send.order_id),
            "priority": Priority.BULK,
            "expires_at": send.expires_at or expires_at,
            "reason": reason,
        }
        if blanks or subject_blanks:
            row["status"], row["last_error"] = OutboxStatus.HELD, held_reason(blanks + subject_blanks)
        rows.append(row)
    return rows


def held_reason(blanks: list[str]) -> str:
    from aftersales.messaging.templates import VARIABLES

    names = "、".join(f"{VARIABLES[b]}({b})" if b in VARIABLES else b for b in blanks)
    return f"模板变量为空或未知,未发送: {names}"


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
    why: dict[str, Any] | None = None,
) -> None:
    """Render ``template_code`` with the order's variables (plus ``extra``) and queue it.

    The channel defaults to the template's; the destination follows from the order (buyer account
    for platform IM, receiver phone for SMS, ``extra["email"]`` for email).
    """
    send = CustomerSend(order_id, idempotency_key, extra, why=why or {})
    send_customer_messages(session, template_code=template_code, sends=[send], channel=channel)


def explain(reason: dict[str, Any] | None) -> str:
    """Why a message was written, in the words the console shows beside it."""
    if not reason:
        return ""
    parts = [f"规则: {reason['rule']}"] if reason.get("rule") else []
    if reason.get("finding"):
        parts.append(f"依据: {reason['finding']}")
    if reason.get("parcel"):
        parts.append(f"包裹: {reason['parcel']}")
    if reason.get("template"):
        name = reason.get("template_name") or reason["template"]
        parts.append(f"模板: {name} 第{reason.get('template_version', 1)}版")
    return ";".join(parts)


STATUS_LABELS = {
    OutboxStatus.PENDING: "待发送",
    OutboxStatus.SENDING: "发送中",
    OutboxStatus.SENT: "已发送",
    OutboxStatus.DEAD: "发送失败",
    OutboxStatus.HELD: "待处理",
    OutboxStatus.EXPIRED: "已过期未发送",
}


def messages_about(session: Session, *, subject: tuple[str, int], limit: int = 100) -> list[OutboxMessage]:
    """What was sent (or held, or dropped) about one order, newest first, for its page."""
    query = select(OutboxMessage).where(
        OutboxMessage.subject_type == subject[0], OutboxMessage.subject_id == subject[1]
    )
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def held_messages(
    session: Session, *, channels: list[str] | None = None, limit: int = 200
) -> list[OutboxMessage]:
    """Messages held as 待处理 (they would have gone out incomplete), newest first."""
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.HELD)
    if channels:
        query = query.where(OutboxMessage.channel.in_(channels))
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def recent_messages(session: Session, *, channels: list[str], limit: int = 50) -> list[OutboxMessage]:
    """The latest messages on these channels, whatever their state, newest first."""
    query = select(OutboxMessage).where(OutboxMessage.channel.in_(channels))
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))


def pending_messages(
    session: Session, *, channels: list[str], now: datetime, limit: int = 500
) -> list[OutboxMessage]:
    """Queued, not yet expired messages on these channels, in the order the drain sends them."""
    query = select(OutboxMessage).where(
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.channel.in_(channels),
        or_(OutboxMessage.expires_at.is_(None), OutboxMessage.expires_at > now),
    )
    return list(
        session.scalars(query.order_by(OutboxMessage.priority, OutboxMessage.next_attempt_at).limit(limit))
    )


def dead_letters(
    session: Session, *, channels: list[str] | None = None, limit: int = 200
) -> list[OutboxMessage]:
    """Messages that ran out of retries, newest first, for the console's dead-letter list."""
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD)
    if channels:
        query = query.where(OutboxMessage.channel.in_(channels))
    return list(session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)))
