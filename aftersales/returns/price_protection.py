"""Price protection (保价/退差价): the first question after a promotion when prices drop (双12).

A shop's ``PriceProtectionRule`` says for how many days after payment a drop is refunded, for
which SKU codes (none listed = all) and how much in all per order. The difference is computed on
the server, never typed: (paid unit price - new unit price) x quantity of the order line, integer
fen, capped by what the order's rule allowance has left. It is refused when the window has
passed, the line was refunded, or the line was already protected (one row per order line, unique).

Money moves once: the decision takes ``orders.service.lock_order`` and re-reads the order's
protected total under it, pays through the same authority arithmetic as compensation
(``policy.authorize_compensation``: an agent alone within 50 % / ¥500 of the paid amount, a
supervisor up to 300 %), writes one ledger row (``compensations``, kind ``price_protection``) and
accepts an ``Idempotency-Key`` whose repeat returns the first result. The buyer is told once per
refund (template ``price_protection_refunded``, keyed by the protection row), through the outbox.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.catalog.models import Sku
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.events import publish
from aftersales.kit.time import utcnow
from aftersales.orders.errors import OrderNotFoundError
from aftersales.orders.models import Order, OrderItem
from aftersales.orders.service import keyed_result, lock_order, remember_key
from aftersales.returns import shop_rules, ticketing
from aftersales.returns.aftercare_models import PriceProtection, PriceProtectionRule
from aftersales.returns.errors import BeyondAuthorityError, RefundExceedsPaidError
from aftersales.returns.events import RefundPaid
from aftersales.returns.models import Authority, Compensation, PayoutKind, RefundState, ReturnRequest
from aftersales.returns.notices import tell_customer
from aftersales.returns.policy import authorize_compensation, yuan
from aftersales.returns.service import get_policy, refundable_fen
from aftersales.tickets.models import Ticket

RULE_FIELDS = ("is_active", "window_days", "sku_codes", "max_per_order_fen")
LEDGER_REASON = "other"  # the ledger's reason column; the kind says 保价退差价


@dataclass(frozen=True)
class Quote:
    """What a price drop is worth on one order line, or why it is worth nothing (``field`` names
    the input the refusal is about, as the API's 422 does)."""

    order_item_id: int | None
    title: str
    quantity: int
    paid_unit_fen: int
    new_unit_fen: int
    difference_fen: int
    amount_fen: int
    refusal: str | None = None
    field: str | None = None

    @property
    def eligible(self) -> bool:
        return self.refusal is None


def rule_for(session: Session, shop_id: int) -> PriceProtectionRule | None:
    return shop_rules.rule_for(session, PriceProtectionRule, shop_id)


def save_rule(session: Session, *, shop_id: int, values: dict[str, Any]) -> PriceProtectionRule:
    return shop_rules.save_rule(
        session, PriceProtectionRule, shop_id=shop_id, values=values, fields=RULE_FIELDS
    )


def protected_fen(session: Session, order_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(PriceProtection.amount_fen), 0)).where(
            PriceProtection.order_id == order_id
        )
    )
    return int(total or 0)


def _line(session: Session, order: Order, sku_code: str) -> OrderItem:
    item = session.scalar(
        select(OrderItem)
        .where(OrderItem.order_id == order.id, OrderItem.sku_code == sku_code)
        .order_by(OrderItem.line_no)
    )
    if item is None:
        raise InvalidInputError("sku_code", f"订单 {order.source_id} 中没有商品 {sku_code}")
    return item


def _refunded(session: Session, item: OrderItem) -> bool:
    """A released refund of the whole order or of this line's SKU ends price protection."""
    query = select(ReturnRequest.id).where(
        ReturnRequest.order_id == item.order_id,
        ReturnRequest.refund_state == RefundState.RELEASED,
    )
    if item.sku_id is not None:
        query = query.where((ReturnRequest.sku_id.is_(None)) | (ReturnRequest.sku_id == item.sku_id))
    return session.scalar(query.limit(1)) is not None


def _already(session: Session, item: OrderItem) -> bool:
    return (
        session.scalar(select(PriceProtection.id).where(PriceProtection.order_item_id == item.id)) is not None
    )


def _window_refusal(rule: PriceProtectionRule | None, order: Order, now: datetime) -> str | None:
    if rule is None or not rule.is_active:
        return "本店未开通保价服务"
    if order.paid_at is None:
        return "订单尚未付款,不能保价"
    if now > order.paid_at + timedelta(days=rule.window_days):
        return f"已超过保价期:付款后 {rule.window_days} 天内降价可退差价"
    return None


def quote(
    session: Session, *, order: Order, sku_code: str, new_unit_fen: int, now: datetime | None = None
) -> Quote:
    """The difference for one SKU of the order at its new price, with the first refusal found.

    Read under the order's lock when it is about to be paid, so the allowance left is current.
    """
    if new_unit_fen < 0:
        raise InvalidInputError("new_unit_fen", "现价不能为负数")
    item = _line(session, order, sku_code)
    difference = max(item.unit_price_fen - new_unit_fen, 0) * item.quantity
    rule = rule_for(session, order.shop_id)
    left = max(rule.max_per_order_fen - protected_fen(session, order.id), 0) if rule else 0
    refusal, field = _refusal(session, rule, order, item, difference, left, now or utcnow())
    return Quote(
        order_item_id=item.id,
        title=item.title,
        quantity=item.quantity,
        paid_unit_fen=item.unit_price_fen,
        new_unit_fen=new_unit_fen,
        difference_fen=difference,
        amount_fen=0 if refusal else min(difference, left),
        refusal=refusal,
        field=field,
    )


def _refusal(
    session: Session,
    rule: PriceProtectionRule | None,
    order: Order,
    item: OrderItem,
    difference: int,
    left: int,
    now: datetime,
) -> tuple[str | None, str | None]:
    window = _window_refusal(rule, order, now)
    if window is not None or rule is None:
        return window, "order_id"
    checks = (
        (bool(rule.sku_codes) and item.sku_code not in rule.sku_codes, "该商品不参加保价", "sku_code"),
        (difference <= 0, f"现价不低于购买单价 {yuan(item.unit_price_fen)},没有差价可退", "new_unit_fen"),
        (_refunded(session, item), "该商品已退款,不能再保价", "sku_code"),
        (_already(session, item), "该商品已经保价退过差价", "sku_code"),
        (left <= 0, f"本单保价已达上限 {yuan(rule.max_per_order_fen)}", "order_id"),
    )
    for failed, reason, field in checks:
        if failed:
            return reason, field
    return None, None


def _order(session: Session, order_id: int) -> Order:
    try:
        return lock_order(session, order_id)
    except OrderNotFoundError:
        raise InvalidInputError("order_id", f"订单不存在: {order_id}") from None


def _ticket(session: Session, order: Order, ticket_id: int | None) -> int:
    if ticket_id is None:
        return ticketing.open_for_order(
            session,
            order,
            key=f"price-protection:{order.id}",
            title=f"保价退差价 · 订单 {order.source_id}",
            description=f"订单 {order.source_id} 降价后申请保价退差价",
        )
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.order_id != order.id:
        raise InvalidInputError("ticket_id", "工单不存在或与订单不匹配")
    return ticket_id


def protect(
    session: Session,
    *,
    order_id: int,
    sku_code: str,
    new_unit_fen: int,
    actor: User,
    ticket_id: int | None = None,
    idempotency_key: str | None = None,
) -> PriceProtection:
    """Refund the price difference of one order line once, within the actor's authority.

    Refusals are 422 naming the field (window → ``order_id``, refunded or already protected →
    ``sku_code``, no drop → ``new_unit_fen``); beyond the agent's authority is 403 for a supervisor.
    """
    order = _order(session, order_id)
    values = {"sku": sku_code, "new_unit_fen": new_unit_fen, "ticket": ticket_id}
    earlier = keyed_result(
        session, order_id=order.id, kind="price_protection", key=idempotency_key, values=values
    )
    if earlier is not None:
        found = session.get(PriceProtection, earlier)
        assert found is not None
        return found
    found_quote = quote(session, order=order, sku_code=sku_code, new_unit_fen=new_unit_fen)
    if found_quote.refusal is not None:
        raise InvalidInputError(found_quote.field or "order_id", found_quote.refusal)
    left = refundable_fen(session, order)
    if found_quote.amount_fen > left:
        raise RefundExceedsPaidError(
            f"差价 {yuan(found_quote.amount_fen)} 超过订单还可退的 {yuan(left)}"
            "(已退款或有进行中的退款),未退差价"
        )
    protection = _pay(session, order, found_quote, actor, _ticket(session, order, ticket_id))
    remember_key(
        session,
        order_id=order.id,
        kind="price_protection",
        key=idempotency_key,
        values=values,
        result_id=protection.id,
    )
    return protection


def _authority(session: Session, order: Order, amount_fen: int, actor: User) -> Authority:
    try:
        return authorize_compensation(
            role=actor.role,
            amount_fen=amount_fen,
            already_paid_fen=protected_fen(session, order.id),
            order_paid_fen=order.paid_fen,
            policy=get_policy(session, order.shop_id),
        )
    except BeyondAuthorityError as exc:
        if not exc.approval_available:
            raise
        raise BeyondAuthorityError(
            f"保价退差价 {yuan(amount_fen)} 超出客服权限(订单实付的"
            f"{get_policy(session, order.shop_id).agent_ratio_bp / 100:g}%且不超过"
            f"{yuan(get_policy(session, order.shop_id).agent_cap_fen)}),请由主管办理保价",
            approval_available=False,
        ) from None


def _pay(session: Session, order: Order, found: Quote, actor: User, ticket_id: int) -> PriceProtection:
    assert found.order_item_id is not None
    text = (
        f"保价退差价 {yuan(found.amount_fen)}:{found.title} 单价 {yuan(found.paid_unit_fen)} → "
        f"{yuan(found.new_unit_fen)} × {found.quantity}"
    )
    payout = Compensation(
        shop_id=order.shop_id,
        order_id=order.id,
        ticket_id=ticket_id,
        kind=PayoutKind.PRICE_PROTECTION,
        authority=_authority(session, order, found.amount_fen, actor),
        amount_fen=found.amount_fen,
        reason_code=LEDGER_REASON,
        note=text,
        agent_id=actor.id,
        paid_at=utcnow(),
    )
    session.add(payout)
    session.flush()
    protection = PriceProtection(
        shop_id=order.shop_id,
        order_id=order.id,
        order_item_id=found.order_item_id,
        paid_unit_fen=found.paid_unit_fen,
        new_unit_fen=found.new_unit_fen,
        quantity=found.quantity,
        amount_fen=found.amount_fen,
        compensation_id=payout.id,
        agent_id=actor.id,
    )
    session.add(protection)
    session.flush()
    ticketing.note(
        session,
        ticket_id,
        actor_id=actor.id,
        kind="returns.payout",
        message=text,
        data={"compensation_id": payout.id, "price_protection_id": protection.id},
    )
    _notify(session, order, protection, found.title)
    publish(session, RefundPaid(order_id=order.id, payout_id=payout.id))
    return protection


def _notify(session: Session, order: Order, protection: PriceProtection, title: str) -> None:
    """The buyer hears that the difference is on its way; the key is the protection row, so a
    retried or repeated request never tells twice."""
    amount = yuan(protection.amount_fen).removeprefix("¥")
    tell_customer(
        session,
        order=order,
        template_code="price_protection_refunded",
        idempotency_key=f"returns:price-protection:{protection.id}:refunded",
        extra={"refund_amount": amount, "protected_item": title},
        fallback_text=f"亲,订单 {order.source_id} 中「{title}」降价了,按保价规则已为您退回差价 {amount} 元,"
        "请注意查收~",
    )


def protections_of(session: Session, order_id: int) -> list[PriceProtection]:
    return list(
        session.scalars(
            select(PriceProtection).where(PriceProtection.order_id == order_id).order_by(PriceProtection.id)
        )
    )


def catalog_quotes(session: Session, order: Order) -> list[Quote]:
    """Each SKU line of the order against its catalogue price now (the bot's 保价 answer): what a
    buyer asking "降价了能保价吗" would be refunded, before anyone pays it."""
    items = session.scalars(
        select(OrderItem)
        .where(OrderItem.order_id == order.id, OrderItem.sku_code.is_not(None))
        .order_by(OrderItem.line_no)
    )
    codes = [i.sku_code for i in items]
    prices = dict(
        session.execute(
            select(Sku.code, Sku.price_fen).where(Sku.shop_id == order.shop_id, Sku.code.in_(codes))
        ).all()
    )
    return [
        quote(session, order=order, sku_code=code, new_unit_fen=prices[code])
        for code in dict.fromkeys(c for c in codes if c in prices)
    ]
