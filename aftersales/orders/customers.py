"""A customer's value and the VIP mark it earns: paid amount and paid orders within a window, and
the platform's membership, by the shop's rule (seed 004: VIP专属通道 from the customer's history).

Never from ticket counts: a buyer who complains a lot is not thereby valuable, and a ticket storm
about one parcel once made nearly every demo customer VIP.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.orders.models import Customer, CustomerValueRule, Order, OrderStatus

UNPAID = (OrderStatus.PENDING_PAYMENT, OrderStatus.CLOSED)


@dataclass(frozen=True)
class ValueRule:
    window_days: int = 365
    min_paid_fen: int = 200_000
    min_orders: int = 5
    membership_counts: bool = True


DEFAULT_RULE = ValueRule()


@dataclass(frozen=True)
class CustomerValue:
    paid_fen: int
    orders: int
    is_member: bool
    is_vip: bool
    reason: str


def rule_of(session: Session, shop_id: int) -> ValueRule:
    row = session.scalar(select(CustomerValueRule).where(CustomerValueRule.shop_id == shop_id))
    if row is None:
        return DEFAULT_RULE
    return ValueRule(row.window_days, row.min_paid_fen, row.min_orders, row.membership_counts)


def save_rule(session: Session, *, shop_code: str, rule: ValueRule) -> CustomerValueRule:
    shop = session.scalar(select(Shop).where(Shop.code == shop_code))
    if shop is None:
        raise InvalidInputError("shop_code", f"店铺不存在: {shop_code}")
    row = session.scalar(select(CustomerValueRule).where(CustomerValueRule.shop_id == shop.id))
    if row is None:
        row = CustomerValueRule(shop_id=shop.id)
        session.add(row)
    row.window_days, row.min_paid_fen = rule.window_days, rule.min_paid_fen
    row.min_orders, row.membership_counts = rule.min_orders, rule.membership_counts
    session.flush()
    return row


def _home_shop(session: Session, customer_id: int) -> int | None:
    """The shop of the customer's latest order: whose rule judges them."""
    return session.scalar(
        select(Order.shop_id)
        .where(Order.customer_id == customer_id)
        .order_by(Order.ordered_at.desc())
        .limit(1)
    )


def customer_value(
    session: Session, customer_id: int, *, shop_id: int | None = None, now: datetime | None = None
) -> CustomerValue:
    """Paid amount and paid orders in the rule's window (closed and unpaid orders do not count)
    and membership, judged by the shop's rule; ``reason`` says which condition made the VIP."""
    shop_id = shop_id or _home_shop(session, customer_id)
    rule = rule_of(session, shop_id) if shop_id is not None else DEFAULT_RULE
    since = (now or utcnow()) - timedelta(days=rule.window_days)
    query = select(func.coalesce(func.sum(Order.paid_fen), 0), func.count(Order.id)).where(
        Order.customer_id == customer_id, Order.ordered_at >= since, Order.status.not_in(UNPAID)
    )
    if shop_id is not None:
        query = query.where(Order.shop_id == shop_id)
    paid, orders = session.execute(query).one()
    member = bool(session.scalar(select(Customer.is_vip).where(Customer.id == customer_id)))
    reasons = [
        f"近{rule.window_days}天实付满{rule.min_paid_fen // 100}元" if paid >= rule.min_paid_fen else "",
        f"近{rule.window_days}天下单满{rule.min_orders}笔" if orders >= rule.min_orders else "",
        "平台会员" if member and rule.membership_counts else "",
    ]
    reason = "、".join(r for r in reasons if r)
    return CustomerValue(int(paid), int(orders), member, bool(reason), reason)


def is_vip(session: Session, customer_id: int | None, *, now: datetime | None = None) -> bool:
    return customer_id is not None and customer_value(session, customer_id, now=now).is_vip
