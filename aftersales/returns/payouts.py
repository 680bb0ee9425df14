"""Payouts within authority: compensation, supervisor approvals, early refunds, window extensions.

The checks live here on the server, whatever the console shows; amounts are integer fen.
"""

from datetime import timedelta

from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.kit.errors import InvalidInputError, PermissionDeniedError
from aftersales.kit.time import utcnow
from aftersales.orders.errors import OrderNotFoundError
from aftersales.orders.models import Order, Shipment
from aftersales.orders.service import keyed_result, lock_order, remember_key
from aftersales.returns import limits, repository, ticketing
from aftersales.returns.errors import (
    ApprovalAlreadyDecidedError,
    ApprovalNotFoundError,
    EarlyRefundNotAllowedError,
)
from aftersales.returns.models import (
    ApprovalStatus,
    Authority,
    Compensation,
    CompensationApproval,
    PayoutKind,
    RefundState,
    RequestKind,
    ReturnRequest,
    WindowExtension,
)
from aftersales.returns.policy import authorize_compensation, check_early_refund, yuan
from aftersales.returns.reasons import is_product_fault, label
from aftersales.returns.refunds import release_refund
from aftersales.returns.service import get_policy, get_request, lock_request
from aftersales.tickets.models import Ticket


def _locked_order(session: Session, order_id: int) -> Order:
    """Every payout decision starts here: the order's lock, then totals read under it."""
    try:
        return lock_order(session, order_id)
    except OrderNotFoundError:
        raise InvalidInputError("order_id", f"订单不存在: {order_id}") from None


def _ticket_for(
    session: Session, order: Order, *, request_id: int | None, ticket_id: int | None, reason_code: str
) -> int:
    """The ticket a payout goes on: the request's, the one given, or a new one for the order."""
    if request_id is not None:
        request = get_request(session, request_id)
        if request.order_id != order.id:
            raise InvalidInputError("request_id", "售后申请与订单不匹配")
        if request.ticket_id is not None:
            return request.ticket_id
    if ticket_id is not None:
        ticket = session.get(Ticket, ticket_id)
        if ticket is None:
            raise InvalidInputError("ticket_id", f"工单不存在: {ticket_id}")
        if ticket.order_id != order.id:
            raise InvalidInputError("ticket_id", "工单与订单不匹配")
        return ticket_id
    return ticketing.open_for_order(
        session,
        order,
        key=f"compensation-order:{order.id}",
        title=f"补偿:{label(reason_code)} · 订单 {order.source_id}",
        description=f"订单 {order.source_id} 的补偿处理",
    )


def pay_compensation(
    session: Session,
    *,
    order_id: int,
    amount_fen: int,
    reason_code: str,
    actor: User,
    request_id: int | None = None,
    ticket_id: int | None = None,
    note: str | None = None,
    approval: CompensationApproval | None = None,
    idempotency_key: str | None = None,
    score_risk: bool = False,
) -> Compensation:
    """Pay within the actor's authority or raise ``BeyondAuthorityError`` (which offers approval).

    Under the order's lock the running total is read afresh, so parallel payouts add up to no more
    than the authority allows; a repeat with the same ``idempotency_key`` returns the first payout.
    An agent acting alone also stays within the customer's 30/90-day caps (``CustomerCapError``).
    """
    if amount_fen <= 0:
        raise InvalidInputError("amount_fen", "补偿金额必须大于 0")
    order = _locked_order(session, order_id)
    values = {"amount_fen": amount_fen, "reason": reason_code, "request": request_id, "ticket": ticket_id}
    earlier = keyed_result(
        session, order_id=order.id, kind="compensation", key=idempotency_key, values=values
    )
    if earlier is not None:
        return _payout(session, earlier)
    policy = get_policy(session, order.shop_id)
    authority = authorize_compensation(
        role=actor.role,
        amount_fen=amount_fen,
        already_paid_fen=repository.compensated_fen(session, order.id),
        order_paid_fen=order.paid_fen,
        policy=policy,
        approved=approval is not None,
        fault_or_risk=is_product_fault(reason_code) or score_risk or bool(approval and approval.score_risk),
    )
    if authority == Authority.AGENT:
        record = limits.customer_record(session, order.customer_id, policy)
        limits.check_compensation_cap(record, policy, amount_fen)
    ticket = _ticket_for(session, order, request_id=request_id, ticket_id=ticket_id, reason_code=reason_code)
    payout = Compensation(
        shop_id=order.shop_id,
        order_id=order.id,
        request_id=request_id,
        approval_id=approval.id if approval else None,
        ticket_id=ticket,
        kind=PayoutKind.COMPENSATION,
        authority=authority,
        amount_fen=amount_fen,
        reason_code=reason_code,
        note=note,
        agent_id=approval.requested_by if approval else actor.id,
        paid_at=utcnow(),
    )
    session.add(payout)
    session.flush()
    approved_by = f",主管 {actor.display_name} 审批" if approval else ""
    ticketing.note(
        session,
        ticket,
        actor_id=actor.id,
        kind="returns.payout",
        message=f"补偿打款 {yuan(amount_fen)}({label(reason_code)}{approved_by})"
        + (f" · {note}" if note else ""),
        data={"compensation_id": payout.id, "amount_fen": amount_fen, "authority": str(authority)},
    )
    remember_key(
        session,
        order_id=order.id,
        kind="compensation",
        key=idempotency_key,
        values=values,
        result_id=payout.id,
    )
    return payout


def _payout(session: Session, payout_id: int) -> Compensation:
    payout = session.get(Compensation, payout_id)
    assert payout is not None
    return payout


def request_approval(
    session: Session,
    *,
    order_id: int,
    amount_fen: int,
    reason_code: str,
    note: str,
    actor: User,
    request_id: int | None = None,
    ticket_id: int | None = None,
    idempotency_key: str | None = None,
    score_risk: bool = False,
) -> CompensationApproval:
    """Ask a supervisor for a payout beyond the agent's authority (up to the supervisor ratio).

    Approvals still pending count as paid: together they never ask for more than the ratio.
    """
    if amount_fen <= 0:
        raise InvalidInputError("amount_fen", "补偿金额必须大于 0")
    order = _locked_order(session, order_id)
    values = {"amount_fen": amount_fen, "reason": reason_code, "request": request_id, "ticket": ticket_id}
    earlier = keyed_result(session, order_id=order.id, kind="approval", key=idempotency_key, values=values)
    if earlier is not None:
        return _approval(session, earlier)
    policy = get_policy(session, order.shop_id)
    authorize_compensation(
        role=Role.SUPERVISOR,
        amount_fen=amount_fen,
        already_paid_fen=repository.compensated_fen(session, order.id)
        + repository.pending_approval_fen(session, order.id),
        order_paid_fen=order.paid_fen,
        policy=policy,
        fault_or_risk=is_product_fault(reason_code) or score_risk,
    )
    ticket = _ticket_for(session, order, request_id=request_id, ticket_id=ticket_id, reason_code=reason_code)
    approval = CompensationApproval(
        shop_id=order.shop_id,
        order_id=order.id,
        request_id=request_id,
        ticket_id=ticket,
        amount_fen=amount_fen,
        reason_code=reason_code,
        note=note,
        score_risk=score_risk,
        status=ApprovalStatus.PENDING,
        requested_by=actor.id,
        created_at=utcnow(),
    )
    session.add(approval)
    session.flush()
    text = (
        f"【补偿审批】{actor.display_name} 申请为订单 {order.source_id}(实付 {yuan(order.paid_fen)})"
        f"补偿 {yuan(amount_fen)}:{note}。请到 售后工作台 › 补偿审批 处理(#{approval.id})"
    )
    ticketing.notify_supervisors(session, text=text, idempotency_key=f"returns:approval:{approval.id}")
    ticketing.note(
        session,
        ticket,
        actor_id=actor.id,
        kind="returns.approval",
        message=f"提交主管审批:补偿 {yuan(amount_fen)}",
    )
    remember_key(
        session, order_id=order.id, kind="approval", key=idempotency_key, values=values, result_id=approval.id
    )
    return approval


def _approval(session: Session, approval_id: int) -> CompensationApproval:
    approval = session.get(CompensationApproval, approval_id, populate_existing=True)
    if approval is None:
        raise ApprovalNotFoundError(approval_id)
    return approval


def decide_approval(
    session: Session, *, approval_id: int, approve: bool, actor: User, note: str | None = None
) -> CompensationApproval:
    """A supervisor accepts (the payout is made at once, on the requester's name) or rejects.

    Decided under the order's lock, so an approval is decided once and parallel approvals of one
    order pay no more than the ratio; nobody decides their own request.
    """
    if not actor.role.at_least(Role.SUPERVISOR):
        raise PermissionDeniedError("只有主管可以审批补偿")
    order_id = repository.order_of_approval(session, approval_id)
    if order_id is None:
        raise ApprovalNotFoundError(approval_id)
    _locked_order(session, order_id)
    approval = _approval(session, approval_id)
    if approval.status != ApprovalStatus.PENDING:
        raise ApprovalAlreadyDecidedError()
    if approval.requested_by == actor.id:
        raise PermissionDeniedError("不能审批自己提交的补偿申请,请由其他主管审批")
    approval.decided_by = actor.id
    approval.decided_at = utcnow()
    approval.decision_note = note
    if approve:
        pay_compensation(
            session,
            order_id=approval.order_id,
            amount_fen=approval.amount_fen,
            reason_code=approval.reason_code,
            actor=actor,
            request_id=approval.request_id,
            ticket_id=approval.ticket_id,
            note=approval.note,
            approval=approval,
        )
        approval.status = ApprovalStatus.APPROVED
    else:
        approval.status = ApprovalStatus.REJECTED
        ticketing.note(
            session,
            approval.ticket_id,
            actor_id=actor.id,
            kind="returns.approval",
            message=f"主管驳回补偿 {yuan(approval.amount_fen)}{(':' + note) if note else ''}",
        )
    session.flush()
    return approval


def early_refund(
    session: Session, *, request_id: int, actor: User, idempotency_key: str | None = None
) -> Compensation:
    """Refund before the goods are back: small orders whose return parcel has a pickup scan."""
    request = lock_request(session, request_id)
    earlier = keyed_result(
        session, order_id=request.order_id, kind="refund", key=idempotency_key, values={"request": request_id}
    )
    if earlier is not None:
        return _payout(session, earlier)
    if request.kind != RequestKind.RETURN:
        raise EarlyRefundNotAllowedError("只有退货退款申请可以提前退款")
    if request.refund_state == RefundState.RELEASED:
        raise EarlyRefundNotAllowedError("该申请已退款")
    order = _locked_order(session, request.order_id)
    parcel = session.get(Shipment, request.return_shipment_id) if request.return_shipment_id else None
    check_early_refund(
        order_paid_fen=order.paid_fen,
        pickup_scanned=parcel is not None and parcel.first_scan_at is not None,
        policy=get_policy(session, order.shop_id),
    )
    payout = release_refund(
        session,
        request,
        kind=PayoutKind.EARLY_REFUND,
        authority=Authority.EARLY_REFUND,
        actor_id=actor.id,
        note="退货包裹已揽收,小额订单提前退款",
    )
    _remember_refund(session, request, idempotency_key, payout)
    return payout


def _earlier_refund(session: Session, request: ReturnRequest, key: str | None) -> Compensation | None:
    values = {"request": request.id}
    earlier = keyed_result(session, order_id=request.order_id, kind="refund", key=key, values=values)
    return _payout(session, earlier) if earlier is not None else None


def _remember_refund(session: Session, request: ReturnRequest, key: str | None, payout: Compensation) -> None:
    session.flush()
    remember_key(
        session,
        order_id=request.order_id,
        kind="refund",
        key=key,
        values={"request": request.id},
        result_id=payout.id,
    )


def refund(
    session: Session, *, request_id: int, actor: User, idempotency_key: str | None = None
) -> Compensation:
    """The regular refund: refund-only once nothing is travelling, a return once the goods are back.

    A refund held for an interception waits for logistics' result; a supervisor may release it.
    """
    request = lock_request(session, request_id)
    earlier = keyed_result(
        session, order_id=request.order_id, kind="refund", key=idempotency_key, values={"request": request_id}
    )
    if earlier is not None:
        return _payout(session, earlier)
    if request.kind == RequestKind.EXCHANGE:
        raise EarlyRefundNotAllowedError("换货申请不退款")
    if request.refund_state == RefundState.RELEASED:
        raise EarlyRefundNotAllowedError("该申请已退款")
    if request.refund_state == RefundState.HELD_FOR_INTERCEPT and not actor.role.at_least(Role.SUPERVISOR):
        raise EarlyRefundNotAllowedError("包裹拦截中,等待拦截结果后退款(主管可提前放行)")
    if request.kind == RequestKind.RETURN and not _goods_back(session, request):
        raise EarlyRefundNotAllowedError("退货尚未签收入库:仓库检测通过或退货包裹签收后才能退款")
    payout = release_refund(
        session, request, kind=PayoutKind.REFUND, authority=Authority.AGENT, actor_id=actor.id, note="退款"
    )
    _remember_refund(session, request, idempotency_key, payout)
    return payout


def _goods_back(session: Session, request: ReturnRequest) -> bool:
    """The warehouse passed the goods, or the return parcel was signed for."""
    if request.warehouse_check == "passed":
        return True
    parcel = session.get(Shipment, request.return_shipment_id) if request.return_shipment_id else None
    return parcel is not None and parcel.delivered_at is not None


def extend_window(
    session: Session, *, order_id: int, days: int, reason: str, actor: User, request_id: int | None = None
) -> WindowExtension:
    """Give a customer more after-sales time, within the shop's limit, always with a reason.

    The limit is cumulative per order: six extensions of 15 days are 90 days, not six times 15.
    """
    if days <= 0:
        raise InvalidInputError("days", "延长天数必须大于 0")
    order = _locked_order(session, order_id)
    policy = get_policy(session, order.shop_id)
    granted = repository.extended_days(session, order.id)
    if granted + days > policy.max_extension_days and not actor.role.at_least(Role.SUPERVISOR):
        raise InvalidInputError(
            "days",
            f"客服累计最多可延长 {policy.max_extension_days} 天售后期"
            f"(本单已延长 {granted} 天),更长需主管操作",
        )
    request = session.get(ReturnRequest, request_id) if request_id is not None else None
    if request_id is not None and request is None:
        raise InvalidInputError("request_id", f"售后申请不存在: {request_id}")
    if request is not None and request.order_id != order.id:
        raise InvalidInputError("request_id", "售后申请与订单不匹配")
    extension = WindowExtension(
        order_id=order.id, request_id=request_id, days=days, reason=reason, agent_id=actor.id
    )
    session.add(extension)
    ticket = None
    if request is not None:
        ticket = request.ticket_id
        if request.window_ends_at is not None:
            request.window_ends_at = request.window_ends_at + timedelta(days=days)
            request.no_reason_eligible = request.requested_at <= request.window_ends_at
    session.flush()
    ticketing.note(
        session, ticket, actor_id=actor.id, kind="returns.extension", message=f"延长售后期 {days} 天:{reason}"
    )
    return extension
