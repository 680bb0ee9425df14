"""Post-delivery care sequence (seed 000): a care message, a usage question, a feedback request.

When every parcel of an order is signed for, three steps are scheduled relative to the delivery
time. Steps go out through the outbox with templates ``care_care``, ``care_usage`` and
``care_feedback``, never during the shop's quiet hours (21:00–09:00 Asia/Shanghai by default): a
step that falls due at night waits for the morning run. Delays and quiet hours are per shop
(``care_settings``). A buyer's reply — a chat message after a step was sent, or one recorded by
hand — lands on the step (and so on the customer's record); a negative reply opens a ticket and
cancels the remaining steps.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from aftersales.kit.errors import NotFoundError
from aftersales.kit.events import CustomerMessage
from aftersales.kit.time import as_utc, utcnow
from aftersales.kit.upsert import insert_ignore
from aftersales.logistics.care_settings import DEFAULT_PLAN, plans_by_shop
from aftersales.logistics.models import CareMessage, CareStatus, CareStep
from aftersales.messaging.service import CustomerSend, render_customer_messages, send_customer_messages
from aftersales.messaging.templates import MessageTemplate
from aftersales.orders.models import Customer, Order, OrderStatus, Shipment
from aftersales.tickets.service import open_system_ticket

SCHEDULE_WINDOW = timedelta(days=3)
# A step not sent within this long of its due time is dropped: "how do you like it" weeks after
# the delivery (the server was down) is worse than no message.
CARE_VALIDITY = timedelta(days=2)
PANEL_STEPS = 10  # care steps shown on an order or ticket page before "显示全部"
REPLY_WINDOW = timedelta(days=3)  # a chat message this long after a step was sent is its reply

NEGATIVE_WORDS = (
    "差", "不好", "不满意", "失望", "坏了", "破损", "质量问题", "退货", "退款", "投诉", "垃圾",
    "没用", "不能用", "难用", "漏", "少了", "少件", "假货", "太慢", "生气", "坑",
)  # fmt: skip
NOT_NEGATIVE = ("不差", "没问题", "挺好", "很好", "不错", "满意")


def template_code(step: CareStep) -> str:
    return f"care_{step.value}"


def is_negative(text: str) -> bool:
    """Keyword reading of a short reply; "不差"/"没问题" style phrases are not complaints."""
    cleaned = text
    for phrase in NOT_NEGATIVE:
        cleaned = cleaned.replace(phrase, "")
    return any(word in cleaned for word in NEGATIVE_WORDS)


def schedule(session: Session, *, now: datetime | None = None) -> int:
    """Schedule the steps for orders whose parcels were all delivered in the last 3 days.

    One grouped query finds the orders; one batched insert writes their steps (existing steps are
    kept as they are, so running it every few minutes is safe).
    """
    now = now or utcnow()
    plans = plans_by_shop(session)
    delivered = (
        select(Shipment.order_id, Order.customer_id, Order.shop_id, func.max(Shipment.delivered_at))
        .join(Order, Order.id == Shipment.order_id)
        .where(
            Order.status.in_((OrderStatus.SHIPPED, OrderStatus.COMPLETED)),
            Shipment.shipped_at >= now - SCHEDULE_WINDOW - timedelta(days=30),
            Shipment.is_reshipment.is_(False),
        )
        .group_by(Shipment.order_id, Order.customer_id, Order.shop_id)
        .having(
            func.count(Shipment.delivered_at) == func.count(),
            func.max(Shipment.delivered_at) >= now - SCHEDULE_WINDOW,
        )
    )
    rows = [
        {
            "order_id": order_id,
            "customer_id": customer_id,
            "step": step,
            "status": CareStatus.SCHEDULED,
            "due_at": delivered_at + delay,
        }
        for order_id, customer_id, shop_id, delivered_at in session.execute(delivered)
        for step, delay in plans.get(shop_id, DEFAULT_PLAN).delays.items()
        if delivered_at is not None
    ]
    insert_ignore(session, CareMessage, rows, conflict_columns=["order_id", "step"])
    return len(rows) // len(CareStep)


def expire_stale(session: Session, *, now: datetime) -> int:
    """Scheduled steps whose validity passed become expired (counted in the job's result)."""
    result = session.execute(
        update(CareMessage)
        .where(CareMessage.status == CareStatus.SCHEDULED, CareMessage.due_at < now - CARE_VALIDITY)
        .values(status=CareStatus.EXPIRED)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def send_due(session: Session, *, now: datetime | None = None, limit: int = 2000) -> int:
    """Queue the steps that are due, except for shops in their quiet hours now. Returns how many.

    Each message is valid until ``CARE_VALIDITY`` after its step's due time (the outbox drops it
    after that); steps already past it are expired by ``expire_stale``, never queued."""
    now = now or utcnow()
    active = set(session.scalars(select(MessageTemplate.code).where(MessageTemplate.is_active.is_(True))))
    due = list(
        session.scalars(
            select(CareMessage)
            .join(Order, Order.id == CareMessage.order_id)
            .where(
                CareMessage.status == CareStatus.SCHEDULED,
                CareMessage.due_at <= now,
                CareMessage.due_at >= now - CARE_VALIDITY,
                _awake(session, now),
            )
            .order_by(CareMessage.due_at)
            .limit(limit)
        )
    )
    by_step: dict[str, list[CareMessage]] = {}
    for care in due:
        code = template_code(CareStep(care.step))
        if code in active:
            by_step.setdefault(code, []).append(care)
    for code, steps in by_step.items():
        send_customer_messages(
            session,
            template_code=code,
            sends=[_care_send(care) for care in steps],
        )
        for care in steps:
            care.status, care.sent_at = CareStatus.SENT, now
    session.flush()
    return sum(len(steps) for steps in by_step.values())


def upcoming(session: Session, *, now: datetime, until: datetime, limit: int = 500) -> list[dict[str, Any]]:
    """The care messages due between now and ``until`` as they would be rendered (not queued),
    each with ``due_at``: the supervisors' dry run of the next day."""
    steps = session.scalars(
        select(CareMessage)
        .where(CareMessage.status == CareStatus.SCHEDULED, CareMessage.due_at <= until)
        .order_by(CareMessage.due_at)
        .limit(limit)
    ).all()
    active = set(session.scalars(select(MessageTemplate.code).where(MessageTemplate.is_active.is_(True))))
    by_code: dict[str, list[CareMessage]] = {}
    for care in steps:
        code = template_code(CareStep(care.step))
        if code in active and care.due_at >= now - CARE_VALIDITY:
            by_code.setdefault(code, []).append(care)
    rows: list[dict[str, Any]] = []
    for code, group in by_code.items():
        rendered = render_customer_messages(session, template_code=code, sends=[_care_send(c) for c in group])
        rows += [{**row, "due_at": max(c.due_at, now)} for c, row in zip(group, rendered, strict=True)]
    return sorted(rows, key=lambda row: row["due_at"])


def _care_send(care: CareMessage) -> CustomerSend:
    step = CareStep(care.step)
    return CustomerSend(
        care.order_id,
        f"logistics:care:{care.order_id}:{care.step}",
        why={"rule": "签收关怀", "finding": f"{step.label}(计划于签收后发送)", "care_message_id": care.id},
        expires_at=care.due_at + CARE_VALIDITY,
    )


def _awake(session: Session, now: datetime) -> Any:
    """Orders of the shops outside their quiet hours at ``now`` (a condition on ``Order.shop_id``)."""
    plans = plans_by_shop(session)
    if DEFAULT_PLAN.quiet.contains(now):
        return Order.shop_id.in_([shop for shop, plan in plans.items() if not plan.quiet.contains(now)])
    return Order.shop_id.not_in([shop for shop, plan in plans.items() if plan.quiet.contains(now)])


def record_reply(
    session: Session, *, order_id: int, text: str, received_at: datetime | None = None
) -> CareMessage:
    """Attach a buyer's reply to the latest sent step of the order; a negative one opens a ticket."""
    received_at = received_at or utcnow()
    care = session.scalar(
        select(CareMessage)
        .where(CareMessage.order_id == order_id, CareMessage.sent_at.is_not(None))
        .order_by(CareMessage.sent_at.desc(), CareMessage.id.desc())
        .limit(1)
    )
    if care is None:
        raise NotFoundError(f"该订单没有已发送的回访消息: {order_id}")
    return _land_reply(session, care, text, received_at)


def _land_reply(session: Session, care: CareMessage, text: str, received_at: datetime) -> CareMessage:
    care.reply_text, care.replied_at = text.strip(), received_at
    care.status = CareStatus.REPLIED
    care.reply_negative = is_negative(text)
    if care.reply_negative:
        care.ticket_id = _complaint_ticket(session, care)
        session.execute(
            update(CareMessage)
            .where(CareMessage.order_id == care.order_id, CareMessage.status == CareStatus.SCHEDULED)
            .values(status=CareStatus.CANCELLED)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    return care


def _complaint_ticket(session: Session, care: CareMessage) -> int:
    order = session.get(Order, care.order_id)
    assert order is not None
    ticket, _ = open_system_ticket(
        session,
        source="logistics",
        source_key=f"care:{care.id}",
        shop_id=order.shop_id,
        order_id=order.id,
        customer_id=care.customer_id,
        type="complaint",
        category="其他",
        subcategory="其他",
        title=f"回访差评反馈: 订单 {order.source_id}",
        description=f"{CareStep(care.step).label}收到买家回复: {care.reply_text}",
        severity="high",
        group_code="aftersales",
        data={"care_message_id": care.id},
    )
    return ticket.id


def history(session: Session, *, customer_id: int) -> list[CareMessage]:
    """The customer's care record: every step, its reply and any ticket it opened."""
    query = select(CareMessage).where(CareMessage.customer_id == customer_id)
    return list(session.scalars(query.order_by(CareMessage.due_at.desc(), CareMessage.id.desc())))


def panel_steps(steps: list[CareMessage], *, order_id: int, limit: int = PANEL_STEPS) -> list[CareMessage]:
    """This order's steps and the buyer's most recent others, at most ``limit`` in all, newest
    first: a repeat buyer's whole record made a 33,000 px order page on a phone."""
    own = [step for step in steps if step.order_id == order_id]
    others = [step for step in steps if step.order_id != order_id][: max(0, limit - len(own))]
    return sorted(own + others, key=lambda step: (step.due_at, step.id), reverse=True)


def record_chat_replies(session: Session, messages: list[CustomerMessage]) -> list[CareMessage]:
    """Customer chat messages (``CustomerMessagesArrived``) that answer a sent care step.

    A message answers the latest step sent to its order (or, without an order, to the buyer's
    account in that shop) no more than ``REPLY_WINDOW`` before it and not answered yet; the first
    such message is the reply, later ones are ordinary chat. One query reads the unanswered steps
    of the batch's time span, so a bulk chat import costs the same as one message.
    """
    timed = sorted(((as_utc(m.sent_at), m) for m in messages), key=lambda pair: pair[0])
    if not timed:
        return []
    by_order, by_account = _unanswered(session, timed[0][0] - REPLY_WINDOW, timed[-1][0])
    replies = []
    for sent_at, message in timed:
        if message.order_id is not None:
            candidates = by_order.get(message.order_id, [])
        else:
            candidates = by_account.get((message.shop_id, str(message.customer_account)), [])
        care = _answered_step(candidates, sent_at)
        if care is not None:
            replies.append(_land_reply(session, care, message.text, sent_at))
    return replies


_UNANSWERED = (
    select(CareMessage, Order.shop_id, Customer.source_id)
    .join(Order, Order.id == CareMessage.order_id)
    .join(Customer, Customer.id == CareMessage.customer_id)
    .where(
        CareMessage.status == CareStatus.SENT,
        CareMessage.sent_at.between(bindparam("since"), bindparam("until")),
    )
)  # built once: every chat message a buyer sends reads it


def _unanswered(
    session: Session, since: datetime, until: datetime
) -> tuple[dict[int, list[CareMessage]], dict[tuple[int, str], list[CareMessage]]]:
    rows = session.execute(_UNANSWERED, {"since": since, "until": until})
    by_order: dict[int, list[CareMessage]] = {}
    by_account: dict[tuple[int, str], list[CareMessage]] = {}
    for care, shop_id, account in rows:
        by_order.setdefault(care.order_id, []).append(care)
        by_account.setdefault((shop_id, account), []).append(care)
    return by_order, by_account


def _answered_step(candidates: list[CareMessage], sent_at: datetime) -> CareMessage | None:
    open_steps = [
        care
        for care in candidates
        if care.status == CareStatus.SENT
        and care.sent_at is not None
        and sent_at - REPLY_WINDOW <= care.sent_at <= sent_at
    ]
    return max(open_steps, key=lambda care: (care.sent_at, care.id), default=None)
