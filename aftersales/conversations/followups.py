"""跟单催付 (seed 001 §跟单挽回转化): unpaid orders worth a reminder, and the follow-up made.

An order is on the list while it waits for payment (``pending_payment``: 淘宝 等待买家付款, 京东
等待付款, 拼多多/抖店 待支付 …), longer than the shop's ``unpaid_after_minutes`` and less than
``MAX_AGE``, and has no follow-up yet. An agent either sends the 催付 message (template
``payment_reminder``, through the outbox) or records a follow-up made by hand. There is one
follow-up per order (the table's unique order): a second click, a retried request or a
colleague's click at the same moment returns the first one and sends nothing more; the outbox
key ``follow_up:{order}`` guards the message too. Whether it converted is
``conversion.follow_up_converted``.
"""

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Select, Table, case, func, literal, select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.conversations import conversion
from aftersales.conversations.errors import OrderNotUnpaidError
from aftersales.conversations.models import FollowUpMode, OrderFollowUp
from aftersales.kit.errors import NotFoundError
from aftersales.kit.sqltime import seconds_between
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore
from aftersales.messaging.service import CustomerSend, send_customer_messages
from aftersales.messaging.templates import add_missing
from aftersales.orders.models import Customer, Order, OrderStatus

TEMPLATE = (
    "payment_reminder",
    "催付提醒",
    "platform_im",
    "亲,您在{{ shop_name }}拍下的{{ item_titles }}(订单 {{ order_no }})还没有付款哦,"
    "付款后我们会尽快为您发货~有任何疑问随时找我们",
)
# Platforms close an order left unpaid within days (淘宝/天猫 after at most 72 hours): an older one
# is nobody's to remind, whatever status an import last gave it.
MAX_AGE = timedelta(hours=72)
# A reminder read hours later, after the buyer paid or the platform closed the order, is wrong:
# it goes out within this time or not at all.
MESSAGE_VALIDITY = timedelta(hours=2)
FOLLOW_UPS = cast(Table, OrderFollowUp.__table__)
ORDERS = cast(Table, Order.__table__)


def _unpaid() -> ColumnElement[bool]:
    return (Order.status == OrderStatus.PENDING_PAYMENT) & Order.paid_at.is_(None)


def due(session: Session, *, now: datetime, shop_id: int | None = None) -> Select[Order, str]:
    """(order, buyer account) of the unpaid orders waiting for a follow-up, oldest first."""
    waited = seconds_between(session, literal(now), ORDERS.c.ordered_at)
    followed = select(OrderFollowUp.id).where(OrderFollowUp.order_id == Order.id).exists()
    query = (
        select(Order, Customer.source_id)
        .join(Customer, Customer.id == Order.customer_id)
        .where(
            _unpaid(),
            Order.ordered_at <= now,
            Order.ordered_at > now - MAX_AGE,
            waited >= conversion.window(ORDERS.c.shop_id, "unpaid_after_minutes") * 60,
            ~followed,
        )
        .order_by(Order.ordered_at, Order.id)
    )
    return query.where(Order.shop_id == shop_id) if shop_id else query


def done(
    session: Session, *, since: datetime, shop_id: int | None = None
) -> Select[OrderFollowUp, Order, str, bool]:
    """(follow-up, order, agent name, converted) of the follow-ups made since ``since``, newest first."""
    converted = conversion.follow_up_converted(session, FOLLOW_UPS, ORDERS)
    query = (
        select(OrderFollowUp, Order, User.display_name, converted.label("converted"))
        .join(Order, Order.id == OrderFollowUp.order_id)
        .outerjoin(User, User.id == OrderFollowUp.agent_id)
        .where(OrderFollowUp.followed_at >= since)
        .order_by(OrderFollowUp.followed_at.desc(), OrderFollowUp.id.desc())
    )
    return query.where(OrderFollowUp.shop_id == shop_id) if shop_id else query


def follow_up(
    session: Session,
    *,
    order_id: int,
    agent_id: int | None,
    mode: FollowUpMode,
    note: str | None = None,
    now: datetime | None = None,
) -> OrderFollowUp:
    """Follow up one unpaid order; an order followed up already returns its first follow-up."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFoundError(f"订单 {order_id} 不存在")
    existing = _of_order(session, order_id)
    if existing is not None:
        return existing
    if order.status != OrderStatus.PENDING_PAYMENT or order.paid_at is not None:
        raise OrderNotUnpaidError(order.source_id)
    at = now or utcnow()
    row = {
        "order_id": order_id,
        "shop_id": order.shop_id,
        "agent_id": agent_id,
        "mode": mode,
        "template_code": TEMPLATE[0] if mode is FollowUpMode.MESSAGE else None,
        "note": (note or "").strip()[:200] or None,
        "followed_at": at,
    }
    insert_ignore(session, OrderFollowUp, [row], conflict_columns=["order_id"])
    made = _of_order(session, order_id)
    assert made is not None
    if made.mode is FollowUpMode.MESSAGE:
        _send_reminder(session, order, at)
    return made


def _of_order(session: Session, order_id: int) -> OrderFollowUp | None:
    return session.scalar(select(OrderFollowUp).where(OrderFollowUp.order_id == order_id))


def _send_reminder(session: Session, order: Order, at: datetime) -> None:
    add_missing(session, [TEMPLATE])
    minutes = int((at - order.ordered_at).total_seconds() // 60)
    send = CustomerSend(
        order.id,
        f"follow_up:{order.id}",
        why={"rule": "跟单催付", "finding": f"下单 {minutes} 分钟未付款"},
        expires_at=at + MESSAGE_VALIDITY,
    )
    send_customer_messages(session, template_code=TEMPLATE[0], sends=[send])


def summary(session: Session, *, since: datetime, shop_id: int | None = None) -> tuple[int, int, int]:
    """(follow-ups since ``since``, those converted, the paid fen they recovered): the 跟单 page's
    figures, counted by ``conversion.follow_up_converted`` like the 复盘."""
    converted = conversion.follow_up_converted(session, FOLLOW_UPS, ORDERS)
    query = (
        select(
            func.count(),
            func.count(case((converted, 1))),
            func.coalesce(func.sum(case((converted, ORDERS.c.paid_fen), else_=0)), 0),
        )
        .select_from(FOLLOW_UPS.join(ORDERS, ORDERS.c.id == FOLLOW_UPS.c.order_id))
        .where(FOLLOW_UPS.c.followed_at >= since)
    )
    if shop_id:
        query = query.where(FOLLOW_UPS.c.shop_id == shop_id)
    total, won, fen = session.execute(query).one()
    return int(total), int(won), int(fen)
