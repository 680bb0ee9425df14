"""Payouts within authority: compensation, supervisor approvals, early refunds, window extensions.

The checks live here on the server, whatever the console shows; amounts are integer fen.
"""

from datetime import timedelta

from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.kit.errors import InvalidInputError, NotFoundError, PermissionDeniedError
from aftersales.kit.time import utcnow
from aftersales.orders.models import Order, Shipment
from aftersales.returns import repository, ticketing
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
from aftersales.returns.reasons import label
from aftersales.returns.refunds import release_refund
from aftersales.returns.service import get_policy, get_request


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise NotFoundError(f"订单不存在: {order_id}")
    return order


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
) -> Compensation:
    """Pay within the actor's authority or raise ``BeyondAuthorityError`` (which offers approval)."""
    if amount_fen <= 0:
        raise InvalidInputError("amount_fen", "补偿金额必须大于 0")
    order = _order(session, order_id)
    policy = get_policy(session, order.shop_id)
    authority = authorize_compensation(
        role=actor.role,
        amount_fen=amount_fen,
        already_paid_fen=repository.compensated_fen(session, order.id),
        order_paid_fen=order.paid_fen,
        policy=policy,
        approved=approval is not None,
    )
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
) -> CompensationApproval:
    """Ask a supervisor for a payout beyond the agent's authority (up to the supervisor ratio)."""
    order = _order(session, order_id)
    policy = get_policy(session, order.shop_id)
    authorize_compensation(
        role=Role.SUPERVISOR,
        amount_fen=amount_fen,
        already_paid_fen=repository.compensated_fen(session, order.id),
        order_paid_fen=order.paid_fen,
        policy=policy,
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
    return approval


def decide_approval(
    session: Session, *, approval_id: int, approve: bool, actor: User, note: str | None = None
) -> CompensationApproval:
    """A supervisor accepts (the payout is made at once, on the requester's name) or rejects."""
    if not actor.role.at_least(Role.SUPERVISOR):
        raise PermissionDeniedError("只有主管可以审批补偿")
    approval = session.get(CompensationApproval, approval_id)
    if approval is None:
        raise ApprovalNotFoundError(approval_id)
    if approval.status != ApprovalStatus.PENDING:
        raise ApprovalAlreadyDecidedError()
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


def early_refund(session: Session, *, request_id: int, actor: User) -> Compensation:
    """Refund before the goods are back: small orders whose return parcel has a pickup scan."""
    request = get_request(session, request_id)
    if request.kind != RequestKind.RETURN:
        raise EarlyRefundNotAllowedError("只有退货退款申请可以提前退款")
    if request.refund_state == RefundState.RELEASED:
        raise EarlyRefundNotAllowedError("该申请已退款")
    order = _order(session, request.order_id)
    parcel = session.get(Shipment, request.return_shipment_id) if request.return_shipment_id else None
    check_early_refund(
        order_paid_fen=order.paid_fen,
        pickup_scanned=parcel is not None and parcel.first_scan_at is not None,
        policy=get_policy(session, order.shop_id),
    )
    return release_refund(
        session,
        request,
        kind=PayoutKind.EARLY_REFUND,
        authority=Authority.EARLY_REFUND,
        actor_id=actor.id,
        note="退货包裹已揽收,小额订单提前退款",
    )


def refund(session: Session, *, request_id: int, actor: User) -> Compensation:
    """The regular refund: refund-only once nothing is travelling, a return once the goods are back.

    A refund held for an interception waits for logistics' result; a supervisor may release it.
    """
    request = get_request(session, request_id)
    if request.kind == RequestKind.EXCHANGE:
        raise EarlyRefundNotAllowedError("换货申请不退款")
    if request.refund_state == RefundState.RELEASED:
        raise EarlyRefundNotAllowedError("该申请已退款")
    if request.refund_state == RefundState.HELD_FOR_INTERCEPT and not actor.role.at_least(Role.SUPERVISOR):
        raise EarlyRefundNotAllowedError("包裹拦截中,等待拦截结果后退款(主管可提前放行)")
    if request.kind == RequestKind.RETURN and not _goods_back(session, request):
        raise EarlyRefundNotAllowedError("退货尚未签收入库:仓库检测通过或退货包裹签收后才能退款")
    return release_refund(
        session, request, kind=PayoutKind.REFUND, authority=Authority.AGENT, actor_id=actor.id, note="退款"
    )


def _goods_back(session: Session, request: ReturnRequest) -> bool:
    """The warehouse passed the goods, or the return parcel was signed for."""
    if request.warehouse_check == "passed":
        return True
    parcel = session.get(Shipment, request.return_shipment_id) if request.return_shipment_id else None
    return parcel is not None and parcel.delivered_at is not None


def extend_window(
    session: Session, *, order_id: int, days: int, reason: str, actor: User, request_id: int | None = None
) -> WindowExtension:
    """Give a customer more after-sales time, within the shop's limit, always with a reason."""
    order = _order(session, order_id)
    policy = get_policy(session, order.shop_id)
    if days > policy.max_extension_days and not actor.role.at_least(Role.SUPERVISOR):
        raise InvalidInputError("days", f"客服最多可延长 {policy.max_extension_days} 天售后期,更长需主管操作")
    extension = WindowExtension(
        order_id=order.id, request_id=request_id, days=days, reason=reason, agent_id=actor.id
    )
    session.add(extension)
    ticket = None
    if request_id is not None:
        request = get_request(session, request_id)
        ticket = request.ticket_id
        if request.window_ends_at is not None:
            request.window_ends_at = request.window_ends_at + timedelta(days=days)
            request.no_reason_eligible = request.requested_at <= request.window_ends_at
    session.flush()
    ticketing.note(
        session, ticket, actor_id=actor.id, kind="returns.extension", message=f"延长售后期 {days} 天:{reason}"
    )
    return extension
