"""Refunds: release (once, with the ledger row and the customer notice), the reaction to
logistics' interception result, and the customer's return parcel whose pickup scan allows an
early refund.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.events import publish
from aftersales.kit.time import format_local, utcnow
from aftersales.logistics.models import Intercept, InterceptStatus
from aftersales.orders.models import Order, ShipmentDirection
from aftersales.orders.repository import shipment_ids
from aftersales.orders.schemas import ShipmentIn
from aftersales.orders.service import ingest_shipments
from aftersales.returns import repository, ticketing
from aftersales.returns.errors import RefundExceedsPaidError
from aftersales.returns.events import RefundPaid
from aftersales.returns.models import Authority, Compensation, Outcome, PayoutKind, RefundState, ReturnRequest
from aftersales.returns.notices import tell_customer
from aftersales.returns.policy import yuan
from aftersales.returns.service import get_policy, get_request, lock_request, resolve


def release_refund(
    session: Session,
    request: ReturnRequest,
    *,
    kind: PayoutKind,
    authority: Authority,
    actor_id: int | None,
    note: str,
) -> Compensation:
    """Pay the refund once (a second release is a no-op returning the first payout).

    Callers hold the order's lock (``service.lock_request``); the order's refunds, this one
    included, never exceed what the customer paid.
    """
    if request.refund_state == RefundState.RELEASED:
        paid = session.scalar(
            select(Compensation).where(
                Compensation.request_id == request.id, Compensation.kind != PayoutKind.COMPENSATION
            )
        )
        assert paid is not None
        return paid
    _check_within_paid(session, request)
    payout = Compensation(
        shop_id=request.shop_id,
        order_id=request.order_id,
        request_id=request.id,
        ticket_id=request.ticket_id,
        kind=kind,
        authority=authority,
        amount_fen=request.refund_fen,
        reason_code=request.reason_code,
        note=note,
        agent_id=actor_id,
        paid_at=utcnow(),
    )
    session.add(payout)
    request.refund_state = RefundState.RELEASED
    resolve(
        session,
        request,
        outcome=Outcome.REFUNDED,
        actor_id=actor_id,
        message=f"{note}:退款 {yuan(request.refund_fen)}",
    )
    _notify_refund(session, request, payout)
    session.flush()
    publish(session, RefundPaid(order_id=request.order_id, payout_id=payout.id))
    return payout


def _check_within_paid(session: Session, request: ReturnRequest) -> None:
    order = session.get(Order, request.order_id)
    assert order is not None
    refunded = repository.refunded_fen(session, order.id)
    if refunded + request.refund_fen > order.paid_fen:
        raise RefundExceedsPaidError(
            f"订单 {order.source_id} 已退款 {yuan(refunded)},再退 {yuan(request.refund_fen)} "
            f"将超过实付 {yuan(order.paid_fen)}"
        )


def _notify_refund(session: Session, request: ReturnRequest, payout: Compensation) -> None:
    order = session.get(Order, request.order_id)
    assert order is not None
    amount = yuan(payout.amount_fen).removeprefix("¥")
    when = format_local(payout.paid_at)
    tell_customer(
        session,
        order=order,
        template_code="refund_completed",
        idempotency_key=f"returns:request:{request.id}:refunded",
        extra={"refund_amount": amount, "refund_completed_at": when},
        fallback_text=f"亲,订单 {order.source_id} 的退款 {amount} 元已于 {when} 原路退回,请注意查收~",
    )


def on_intercept_resolved(
    session: Session, *, request_id: int, status: str, intercept_id: int | None
) -> None:
    """Release a held refund per the shop's rule once every intercepted parcel of the request
    satisfies it (a split order has one intercept per parcel); any failed parcel keeps it held."""
    if repository.order_of_request(session, request_id) is None:
        return
    request = lock_request(session, request_id)
    if request.refund_state != RefundState.HELD_FOR_INTERCEPT:
        return
    statuses = _intercept_statuses(session, request_id, intercept_id, status)
    if InterceptStatus.FAILED in statuses.values():
        _hold_after_failure(session, request, intercept_id)
        return
    policy = get_policy(session, request.shop_id)
    enough = RELEASE_ON[policy.release_refund_on]
    if all(value in enough for value in statuses.values()):
        returned = all(value == InterceptStatus.RETURNED for value in statuses.values())
        label = "拦截成功,包裹已退回" if returned else "快递已受理拦截"
        release_refund(
            session,
            request,
            kind=PayoutKind.REFUND,
            authority=Authority.SHOP_RULE,
            actor_id=None,
            note=f"{label},按店铺规则退款",
        )
        return
    done = sum(value in enough for value in statuses.values())
    ticketing.note(
        session,
        request.ticket_id,
        actor_id=None,
        kind="returns.refund",
        message=f"拦截进展 {done}/{len(statuses)} 个包裹符合店铺退款规则,其余包裹待结果后退款",
        data={"intercept_id": intercept_id},
    )


RELEASE_ON = {
    "accepted": (InterceptStatus.ACCEPTED, InterceptStatus.RETURNED),
    "returned": (InterceptStatus.RETURNED,),
}


def _intercept_statuses(
    session: Session, request_id: int, intercept_id: int | None, status: str
) -> dict[int | None, InterceptStatus]:
    """Every intercept of the request, with the reported one at the status the event carries."""
    rows = session.execute(
        select(Intercept.id, Intercept.status).where(Intercept.refund_request_id == request_id)
    )
    statuses: dict[int | None, InterceptStatus] = {row_id: InterceptStatus(value) for row_id, value in rows}
    statuses[intercept_id] = InterceptStatus(status)
    return statuses


def _hold_after_failure(session: Session, request: ReturnRequest, intercept_id: int | None) -> None:
    """The refund stays unpaid; the ticket and the supervisors' group hear of it."""
    request.refund_state = RefundState.INTERCEPT_FAILED
    session.flush()
    message = "拦截失败:退款暂缓,请联系客户拒收或签收后走退货退款"
    ticketing.note(
        session,
        request.ticket_id,
        actor_id=None,
        kind="returns.refund",
        message=message,
        data={"intercept_id": intercept_id},
    )
    ticketing.notify_supervisors(
        session,
        text=f"【拦截失败】售后单 #{request.id}(工单 #{request.ticket_id}):{message}",
        idempotency_key=f"returns:request:{request.id}:intercept_failed",
    )


def attach_return_parcel(
    session: Session, *, request_id: int, courier: str, tracking_no: str, shipped_at: datetime | None = None
) -> ReturnRequest:
    """The customer's return parcel is stored as an ``orders`` shipment (so courier scans reach it
    like any other parcel) and linked here; its first scan is the pickup scan early refunds need."""
    request = get_request(session, request_id)
    order = session.get(Order, request.order_id)
    shop = session.get(Shop, request.shop_id)
    assert order is not None
    assert shop is not None
    result = ingest_shipments(
        session,
        [
            ShipmentIn(
                shop_code=shop.code,
                order_no=order.source_id,
                courier=courier,
                tracking_no=tracking_no,
                shipped_at=shipped_at or utcnow(),
                item_summary=f"退货寄回(售后单 #{request.id})",
                direction=ShipmentDirection.RETURN,
            )
        ],
    )
    if result.rejected:
        raise InvalidInputError("tracking_no", str(result.rejected[0]["reason"]))
    request.return_shipment_id = shipment_ids(session, [(courier, tracking_no)])[(courier, tracking_no)]
    session.flush()
    ticketing.note(
        session,
        request.ticket_id,
        actor_id=None,
        kind="returns.parcel",
        message=f"买家已寄回:{courier} {tracking_no}",
    )
    return request
