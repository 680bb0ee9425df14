"""Return, exchange and refund-only requests: intake, eligibility, retention and refund release.

Every request opens (or links) a ticket; every decision goes on that ticket's timeline. Services
flush and never commit: the request, job or CLI command owns the transaction.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import uuid4

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.catalog.models import Shop, Sku
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.events import RefundRequested, publish
from aftersales.kit.time import utcnow
from aftersales.orders.models import Order, OrderItem
from aftersales.orders.service import lock_order
from aftersales.returns import limits, repository, ticketing
from aftersales.returns.errors import RefundExceedsPaidError, RequestClosedError, ReturnRequestNotFoundError
from aftersales.returns.models import (
    GiftStatus,
    OfferKind,
    OfferStatus,
    Outcome,
    RefundState,
    RequestKind,
    RequestStatus,
    RetentionOffer,
    ReturnPolicy,
    ReturnRequest,
    ShippingPayer,
    SopUpgrade,
    WindowExtension,
)
from aftersales.returns.policy import Policy, agent_limit_fen, ratio_limit_fen, yuan
from aftersales.returns.reasons import reason
from aftersales.returns.schemas import ReturnRequestIn

OFFER_LABELS = {
    OfferKind.EXCHANGE_FREE_SHIPPING: "换货(来回运费由店铺承担)",
    OfferKind.PARTIAL_COMPENSATION: "小额补偿,保留商品",
    OfferKind.REMOTE_GUIDANCE: "一对一远程/视频使用指导",
}
CLOSED = (RequestStatus.RESOLVED, RequestStatus.REJECTED)


@dataclass(frozen=True)
class Offer:
    rank: int
    kind: OfferKind
    label: str
    amount_fen: int
    rationale: str


def get_policy(session: Session, shop_id: int) -> Policy:
    return Policy.from_row(repository.policy_row(session, shop_id))


def save_policy(session: Session, *, shop_id: int, values: dict[str, Any]) -> ReturnPolicy:
    gift = values.get("gift_sku_code")
    if gift and session.scalar(select(Sku.id).where(Sku.shop_id == shop_id, Sku.code == gift)) is None:
        raise InvalidInputError("gift_sku_code", f"店铺商品中没有该编码: {gift}")
    row = repository.policy_row(session, shop_id)
    if row is None:
        row = ReturnPolicy(shop_id=shop_id, **{**Policy().as_columns(), **values})
        session.add(row)
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    return row


def get_request(session: Session, request_id: int) -> ReturnRequest:
    request = session.get(ReturnRequest, request_id)
    if request is None:
        raise ReturnRequestNotFoundError(request_id)
    return request


def lock_request(session: Session, request_id: int) -> ReturnRequest:
    """The request read afresh under its order's lock: what a refund decision must start from."""
    order_id = repository.order_of_request(session, request_id)
    if order_id is None:
        raise ReturnRequestNotFoundError(request_id)
    lock_order(session, order_id)
    request = session.get(ReturnRequest, request_id, populate_existing=True)
    assert request is not None
    return request


def refundable_fen(session: Session, order: Order) -> int:
    """What may still be asked back: the paid amount less refunds paid and refunds still open."""
    taken = repository.refunded_fen(session, order.id) + repository.pending_refund_fen(session, order.id)
    return max(0, order.paid_fen - taken)


def _order_for(session: Session, data: ReturnRequestIn) -> tuple[Shop, Order]:
    shop = session.scalar(select(Shop).where(Shop.code == data.shop_code))
    if shop is None:
        raise InvalidInputError("shop_code", f"店铺不存在: {data.shop_code}")
    order = session.scalar(
        select(Order).where(Order.platform == shop.platform, Order.source_id == data.order_no)
    )
    if order is None:
        raise InvalidInputError("order_no", f"订单不存在: {data.order_no}")
    return shop, order


def _sku_and_amount(session: Session, order: Order, data: ReturnRequestIn) -> tuple[Sku | None, int]:
    """The SKU concerned and the amount asked back (the item line's price, else the order's)."""
    sku = repository.sku_by_code(session, order.shop_id, data.sku_code) if data.sku_code else None
    if data.sku_code and sku is None:
        raise InvalidInputError("sku_code", f"商品编码不存在: {data.sku_code}")
    line = None
    if data.sku_code:
        line = session.scalar(
            select(OrderItem).where(OrderItem.order_id == order.id, OrderItem.sku_code == data.sku_code)
        )
    line_fen = line.unit_price_fen * min(data.quantity, line.quantity) if line else order.paid_fen
    if data.refund_fen is None:
        return sku, min(line_fen, order.paid_fen)
    if data.refund_fen > min(line_fen, order.paid_fen):
        what = "该商品的实付金额" if line else "订单实付"
        raise InvalidInputError("refund_fen", f"退款金额不能超过{what} {yuan(min(line_fen, order.paid_fen))}")
    return sku, data.refund_fen


def no_reason_window(session: Session, order: Order, sku: Sku | None) -> tuple[bool, datetime | None]:
    """7-day no-reason return (七天无理由) by SKU and delivery date, plus any granted extension.

    Not yet delivered means still eligible (the window has not started). A SKU with 0 days
    (customised goods) is never eligible.
    """
    days = sku.no_reason_return_days if sku is not None else 7
    if days <= 0:
        return False, None
    delivered = repository.delivered_at(session, order.id)
    if delivered is None:
        return True, None
    extra = session.scalar(
        select(func.coalesce(func.sum(WindowExtension.days), 0)).where(WindowExtension.order_id == order.id)
    )
    return True, delivered + timedelta(days=days + int(extra or 0))


def create_request(session: Session, *, data: ReturnRequestIn, actor_id: int | None = None) -> ReturnRequest:
    """Take in a request and open its ticket, under the order's lock.

    Idempotent by platform + request number; without one (console, portal), per order and kind:
    while a request of the same kind for the same goods is open, asking again returns it. What
    all requests of an order ask back never exceeds what was paid.
    """
    shop, order = _order_for(session, data)
    lock_order(session, order.id)
    if data.request_no:
        existing = repository.request_by_source(session, str(shop.platform), data.request_no)
        if existing is not None:
            return existing
    sku, amount = _sku_and_amount(session, order, data)
    if not data.request_no:
        sku_id = sku.id if sku else None
        same = repository.open_request_like(session, order_id=order.id, kind=data.kind, sku_id=sku_id)
        if same is not None:
            return same
    if data.kind != RequestKind.EXCHANGE:
        amount = _within_refundable(session, order, amount)
    why = reason(data.reason_code)
    requested_at = data.requested_at or utcnow()
    eligible, window_ends = no_reason_window(session, order, sku)
    if window_ends is not None and requested_at > window_ends:
        eligible = False
    retains = not why.is_quality and data.kind in (RequestKind.RETURN, RequestKind.EXCHANGE)
    request = ReturnRequest(
        platform=shop.platform,
        source_id=data.request_no or f"pending-{uuid4().hex}",
        channel=data.channel,
        shop_id=shop.id,
        order_id=order.id,
        customer_id=order.customer_id,
        sku_id=sku.id if sku else None,
        quantity=data.quantity,
        kind=data.kind,
        reason_code=data.reason_code,
        reason_text=data.reason_text,
        is_quality=why.is_quality,
        refund_fen=amount if data.kind != RequestKind.EXCHANGE else 0,
        shipping_payer=ShippingPayer.SELLER if why.is_quality else ShippingPayer.CUSTOMER,
        no_reason_eligible=eligible,
        window_ends_at=window_ends,
        status=RequestStatus.RETAINING if retains else RequestStatus.OPEN,
        refund_state=_initial_refund_state(session, order, data.kind),
        agent_id=actor_id,
        requested_at=requested_at,
    )
    session.add(request)
    session.flush()
    if not data.request_no:
        request.source_id = f"{data.channel}-{request.id}"
    policy = get_policy(session, shop.id)
    request.ticket_id = ticketing.open_for_request(
        session, request, order, high_value=order.paid_fen >= policy.high_value_fen
    )
    _log_intake(session, request, actor_id)
    _apply_sops(session, request, order, policy)
    from aftersales.returns.reshipments import send_sop_gift  # reshipments builds on this module

    send_sop_gift(session, request=request)
    if data.return_tracking_no and data.return_courier:
        from aftersales.returns.refunds import attach_return_parcel  # refunds builds on this module

        attach_return_parcel(
            session,
            request_id=request.id,
            courier=data.return_courier,
            tracking_no=data.return_tracking_no,
            shipped_at=requested_at,
        )
    if request.kind != RequestKind.EXCHANGE:
        publish(session, RefundRequested(order_id=order.id, request_id=request.id, requested_at=requested_at))
    return request


def _within_refundable(session: Session, order: Order, amount: int) -> int:
    left = refundable_fen(session, order)
    if left <= 0:
        raise RefundExceedsPaidError(
            f"订单 {order.source_id} 实付 {yuan(order.paid_fen)} 已全部退款或在退款处理中,不能再申请退款"
        )
    if amount > left:
        raise RefundExceedsPaidError(
            f"订单 {order.source_id} 还可申请退款 {yuan(left)}(实付 {yuan(order.paid_fen)},"
            "其余已退款或在退款处理中)"
        )
    return amount


def _initial_refund_state(session: Session, order: Order, kind: RequestKind) -> RefundState:
    """A refund on a parcel still travelling waits for logistics' interception result."""
    if kind == RequestKind.EXCHANGE:
        return RefundState.NONE
    if repository.has_parcel_in_transit(session, order.id):
        return RefundState.HELD_FOR_INTERCEPT
    return RefundState.PENDING


def _log_intake(session: Session, request: ReturnRequest, actor_id: int | None) -> None:
    why = reason(request.reason_code)
    parts = [
        f"收到{ticketing.KIND_LABELS[request.kind]}申请:{why.label}",
        "质量问题(运费由店铺承担)" if request.is_quality else "非质量问题(运费由买家承担)",
        f"申请金额 {yuan(request.refund_fen)}" if request.refund_fen else "",
        "" if request.no_reason_eligible else "不满足七天无理由",
        "包裹在途,退款待拦截结果" if request.refund_state == RefundState.HELD_FOR_INTERCEPT else "",
    ]
    ticketing.note(
        session,
        request.ticket_id,
        actor_id=actor_id,
        kind="returns.request",
        message=";".join(p for p in parts if p),
        data={"request_id": request.id, "channel": request.channel},
    )


def _apply_sops(session: Session, request: ReturnRequest, order: Order, policy: Policy) -> None:
    """Higher-standard SOPs (seed 004 四): conditions that earn an upgrade, recorded with the trigger."""
    fired: list[tuple[str, str, str]] = []
    if request.is_quality and order.paid_fen >= policy.high_value_fen:
        fired.append(
            (
                "high_value_quality",
                "sf_reshipment",
                f"高价值订单(实付 {yuan(order.paid_fen)} ≥ {yuan(policy.high_value_fen)})出现质量问题:"
                "补发/换货升级顺丰",
            )
        )
    if policy.repeat_window_days > 0:
        since = request.requested_at - timedelta(days=policy.repeat_window_days)
        earlier = repository.earlier_requests(
            session, customer_id=request.customer_id, since=since, exclude_id=request.id
        )
        if earlier:
            fired.append(
                (
                    "repeated_problem",
                    "gift",
                    f"客户 {policy.repeat_window_days} 天内第 {earlier + 1} 次售后:赠送礼品并由专人跟进",
                )
            )
    # read before this request's own gift exists: the caps count the gifts already given
    capped = limits.gift_cap_reason(limits.customer_record(session, request.customer_id, policy), policy)
    for rule, action, detail in fired:
        upgrade = SopUpgrade(request_id=request.id, rule=rule, action=action, detail=detail)
        session.add(upgrade)
        ticketing.note(
            session, request.ticket_id, actor_id=None, kind="returns.sop", message=detail, data={"rule": rule}
        )
        if action == "gift" and capped is not None:
            _hold_gift(session, request, order, upgrade, capped)
    session.flush()


def _hold_gift(session: Session, request: ReturnRequest, order: Order, upgrade: SopUpgrade, why: str) -> None:
    """Beyond the customer's gift caps, or for a serial returner, the gift waits for a supervisor."""
    upgrade.status = GiftStatus.PENDING
    session.flush()
    ticketing.note(
        session,
        request.ticket_id,
        actor_id=None,
        kind="returns.sop",
        message=f"赠品暂缓,需主管审批:{why}",
        data={"rule": upgrade.rule, "sop_upgrade_id": upgrade.id},
    )
    ticketing.notify_supervisors(
        session,
        text=f"【赠品审批】订单 {order.source_id} 的售后关怀赠品超出上限({why}),"
        f"请到 售后工作台 处理(赠品 #{upgrade.id})",
        idempotency_key=f"returns:gift-approval:{upgrade.id}",
    )


def retention_offers(session: Session, *, request_id: int) -> list[Offer]:
    """Alternatives to propose for a non-quality request, in the order of the shop's policy."""
    request = get_request(session, request_id)
    if request.is_quality or request.status in CLOSED or request.kind == RequestKind.REFUND_ONLY:
        return []
    order = session.get(Order, request.order_id)
    assert order is not None
    policy = get_policy(session, request.shop_id)
    offers: list[Offer] = []
    for kind in policy.retention_order:
        offer = _propose(session, OfferKind(kind), request, order, policy)
        if offer is not None:
            offers.append(Offer(len(offers) + 1, *offer))
    return offers


def _propose(
    session: Session, kind: OfferKind, request: ReturnRequest, order: Order, policy: Policy
) -> tuple[OfferKind, str, int, str] | None:
    why = reason(request.reason_code)
    if kind == OfferKind.EXCHANGE_FREE_SHIPPING:
        if request.kind != RequestKind.RETURN:
            return None
        return kind, OFFER_LABELS[kind], 0, "换货比退货更省事:寄回有揽收即可优先换出,运费由店铺承担"
    if kind == OfferKind.PARTIAL_COMPENSATION:
        record = limits.customer_record(session, request.customer_id, policy)
        room = min(
            agent_limit_fen(policy, order.paid_fen) - repository.compensated_fen(session, order.id),
            policy.compensation_cap_30d_fen - record.compensation_fen[30],
            policy.compensation_cap_90d_fen - record.compensation_fen[90],
        )
        amount = min(ratio_limit_fen(order.paid_fen, policy.retention_compensation_bp), room)
        if amount <= 0:
            return None
        label = f"{OFFER_LABELS[kind]}({yuan(amount)})"
        return (
            kind,
            label,
            amount,
            f"订单实付 {yuan(order.paid_fen)} 的 {policy.retention_compensation_bp / 100:g}%,在客服权限内",
        )
    if kind == OfferKind.REMOTE_GUIDANCE and why.misuse_likely:
        return kind, OFFER_LABELS[kind], 0, f"原因为「{why.label}」,多为使用方法问题"
    return None


def record_offers(
    session: Session, *, request_id: int, kinds: list[OfferKind], actor: User
) -> list[RetentionOffer]:
    """Record what the agent actually offered; only proposals of the policy may be offered."""
    request = _open_request(session, request_id)
    proposals = {o.kind: o for o in retention_offers(session, request_id=request_id)}
    unknown = [k for k in kinds if k not in proposals]
    if unknown:
        raise InvalidInputError("kinds", f"该申请不适用的挽留方案: {', '.join(unknown)}")
    existing = {o.kind for o in repository.offers_of(session, request_id)}
    for kind in kinds:
        if kind in existing:
            continue
        offer = proposals[kind]
        session.add(
            RetentionOffer(
                request_id=request.id,
                rank=offer.rank,
                kind=kind,
                amount_fen=offer.amount_fen,
                status=OfferStatus.OFFERED,
                offered_by=actor.id,
            )
        )
    request.agent_id = actor.id
    request.status = RequestStatus.RETAINING
    session.flush()
    labels = "、".join(proposals[k].label for k in kinds)
    ticketing.note(
        session,
        request.ticket_id,
        actor_id=actor.id,
        kind="returns.retention",
        message=f"挽留:向客户提出 {labels}",
    )
    return repository.offers_of(session, request_id)


def record_choice(
    session: Session, *, request_id: int, accepted: OfferKind | None, actor: User
) -> ReturnRequest:
    """The customer's answer: an accepted offer resolves the request; declining continues the return."""
    from aftersales.returns.payouts import pay_compensation

    request = _open_request(session, request_id)
    offers = repository.offers_of(session, request_id)
    if accepted is not None and accepted not in {o.kind for o in offers}:
        raise InvalidInputError("accepted", "客户只能选择已提出的方案")
    now = utcnow()
    for offer in offers:
        offer.status = OfferStatus.ACCEPTED if offer.kind == accepted else OfferStatus.DECLINED
        offer.responded_at = now
    request.agent_id = request.agent_id or actor.id
    if accepted is None:
        request.status = RequestStatus.OPEN
        ticketing.note(
            session,
            request.ticket_id,
            actor_id=actor.id,
            kind="returns.retention",
            message="客户拒绝挽留方案,继续退货流程",
        )
        session.flush()
        return request
    chosen = next(o for o in offers if o.kind == accepted)
    if accepted == OfferKind.PARTIAL_COMPENSATION:
        pay_compensation(
            session,
            order_id=request.order_id,
            amount_fen=chosen.amount_fen,
            reason_code=request.reason_code,
            actor=actor,
            request_id=request.id,
            note="挽留:客户接受小额补偿",
        )
    outcome = {
        OfferKind.EXCHANGE_FREE_SHIPPING: Outcome.EXCHANGED,
        OfferKind.PARTIAL_COMPENSATION: Outcome.COMPENSATED,
        OfferKind.REMOTE_GUIDANCE: Outcome.GUIDED,
    }[accepted]
    resolve(
        session,
        request,
        outcome=outcome,
        actor_id=actor.id,
        message=f"挽留成功:客户选择{OFFER_LABELS[accepted]}",
    )
    return request


def _open_request(session: Session, request_id: int) -> ReturnRequest:
    request = get_request(session, request_id)
    if request.status in CLOSED:
        raise RequestClosedError()
    return request


def resolve(
    session: Session, request: ReturnRequest, *, outcome: Outcome, actor_id: int | None, message: str
) -> None:
    request.status = RequestStatus.RESOLVED
    request.outcome = outcome
    request.resolved_at = utcnow()
    if outcome != Outcome.REFUNDED and request.refund_state in (
        RefundState.PENDING,
        RefundState.HELD_FOR_INTERCEPT,
    ):
        request.refund_state = RefundState.NONE
    session.flush()
    ticketing.note(
        session,
        request.ticket_id,
        actor_id=actor_id,
        kind="returns.resolved",
        message=message,
        data={"outcome": str(outcome)},
    )


def record_warehouse_check(
    session: Session, *, request_id: int, passed: bool, note: str | None, actor: User
) -> ReturnRequest:
    """The warehouse checked the returned goods (seed 004 五: 寄回检查无误后同步换出)."""
    request = _open_request(session, request_id)
    request.warehouse_check = "passed" if passed else "failed"
    request.warehouse_note = note
    session.flush()
    verdict = "检测无误(非人为损坏)" if passed else "检测不通过(人为损坏/调包),原订单寄回"
    ticketing.note(
        session,
        request.ticket_id,
        actor_id=actor.id,
        kind="returns.warehouse",
        message=f"仓库检测:{verdict}{(' · ' + note) if note else ''}",
    )
    return request
