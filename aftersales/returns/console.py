"""Console pages: return queue with the retention panel, approval inbox, ledger, reshipments.

Pages are thin: every rule (authority, eligibility, offers) is decided by the services, and a
payout beyond authority re-renders the request with the reason and an approval form filled in.
"""

from collections.abc import Callable
from typing import Annotated, Any, Literal
from uuid import uuid4

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.auth import repository as auth_repository
from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.auth.models import Role, User
from aftersales.catalog import repository as catalog_repository
from aftersales.catalog.models import Sku
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.pagination import PageDep, count_rows, paginate
from aftersales.kit.pii import mask_name, mask_phone
from aftersales.orders import repository as order_repository
from aftersales.orders.models import Customer, Order, Shipment
from aftersales.returns import erp, payouts, refunds, repository, reshipments, service
from aftersales.returns.aftercare_console import router as aftercare_router
from aftersales.returns.console_customer import router as customer_router
from aftersales.returns.console_policies import fen as _fen
from aftersales.returns.console_policies import router as policies_router
from aftersales.returns.errors import ApprovalMayAllowError
from aftersales.returns.group_console import router as group_router
from aftersales.returns.models import (
    ApprovalStatus,
    OfferKind,
    RequestKind,
    RequestStatus,
    ReturnRequest,
)
from aftersales.returns.reasons import REASONS
from aftersales.returns.schemas import ReshipItem, ReshipmentIn, ReturnRequestIn
from aftersales.returns.ticketing import KIND_LABELS
from aftersales.tickets import service as tickets_service
from aftersales.web.export import export_objects, money, xlsx_response
from aftersales.web.forms import act_or_rerender
from aftersales.web.home import LEAD_HOME, Tile, register_tile
from aftersales.web.render import NavItem, render
from aftersales.web.sorting import sorted_by

router = APIRouter(prefix="/console/returns", include_in_schema=False)
router.include_router(policies_router)  # before "/{return_id}", which would shadow "/policies"
router.include_router(group_router)  # 群协作: the ticket page's group card and the supervisors' inbox
router.include_router(customer_router)
router.include_router(aftercare_router)  # 保价退差价 on the order page, 申诉 list/detail

NAV = [
    NavItem("退换货", "/console/returns", group="售后"),
    NavItem("补偿审批", "/console/returns/approvals", Role.SUPERVISOR, group="售后"),
    NavItem("补偿台账", "/console/returns/ledger", group="售后"),
    NavItem("补发", "/console/returns/reshipments", group="售后"),
    NavItem("申诉", "/console/returns/appeals", group="售后"),
    NavItem("群协作待办", "/console/returns/groups/inbox", Role.SUPERVISOR, group="工单"),
    NavItem("售后规则", "/console/returns/policies", Role.ADMIN, group="设置"),
]

STATUS_LABELS = {
    RequestStatus.OPEN: "待处理",
    RequestStatus.RETAINING: "挽留中",
    RequestStatus.RESOLVED: "已完结",
    RequestStatus.REJECTED: "已驳回",
}
OUTCOME_LABELS = {
    "refunded": "已退款",
    "exchanged": "已换货",
    "compensated": "补偿留货",
    "guided": "指导后留货",
    "withdrawn": "已撤销",
}
REFUND_LABELS = {
    "none": "无需退款",
    "pending": "待退款",
    "held_for_intercept": "待拦截结果",
    "intercept_failed": "拦截失败,暂缓",
    "released": "已退款",
}
AUTHORITY_LABELS = {
    "agent": "客服权限",
    "early_refund": "揽收提前退款",
    "supervisor_approval": "主管审批",
    "supervisor": "主管",
    "shop_rule": "店铺规则",
}
PAYOUT_LABELS = {
    "compensation": "补偿",
    "early_refund": "提前退款",
    "refund": "退款",
    "price_protection": "保价退差价",
}
APPROVAL_LABELS = {
    ApprovalStatus.PENDING: "待主管审批",
    ApprovalStatus.APPROVED: "主管已同意",
    ApprovalStatus.REJECTED: "主管已驳回",
}


def _labels() -> dict[str, Any]:
    return {
        "statuses": STATUS_LABELS,
        "kinds": KIND_LABELS,
        "reasons": REASONS,
        "outcomes": OUTCOME_LABELS,
        "refund_states": REFUND_LABELS,
        "authorities": AUTHORITY_LABELS,
        "payout_kinds": PAYOUT_LABELS,
        "approval_states": APPROVAL_LABELS,
        "offer_labels": service.OFFER_LABELS,
    }


def _count(statement: Any) -> Callable[[Session, User], int]:
    return lambda session, _user: count_rows(session, statement)


register_tile(
    Tile("待审批补偿", "/console/returns/approvals", _count(repository.approvals()), LEAD_HOME, "warn", 30)
)


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request,
    session: SessionDep,
    _: CurrentUser,
    page: PageDep,
    status: RequestStatus | None = None,
    shop_id: int | None = None,
    kind: RequestKind | None = None,
    q: str | None = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    export: Literal["xlsx"] | None = None,
) -> Response:
    statement = repository.queue(status=status, shop_id=shop_id, kind=kind, order_no=q)
    statement = sorted_by(statement, repository.SORTS, sort)
    if export:
        return _export_queue(session, export_objects(session, statement))
    rows, total = paginate(session, statement, page)
    orders = order_repository.orders_by_id(session, [r.order_id for r in rows])
    return render(
        request,
        "returns/queue.html",
        rows=rows,
        orders=orders,
        total=total,
        page=page,
        status=status,
        shop_id=shop_id,
        kind=kind,
        q=q or "",
        shops=catalog_repository.shops_by_id(session),
        sorts=repository.SORTS,
        sort=sort,
        **_labels(),
    )


def _export_queue(session: Session, rows: list[ReturnRequest]) -> Response:
    numbers = order_repository.order_numbers(session, {r.order_id for r in rows})
    shops = catalog_repository.shop_names(session)
    return xlsx_response(
        "退换货",
        ["申请号", "订单号", "店铺", "类型", "原因", "金额(元)", "状态", "退款", "申请时间"],
        (
            [
                r.id,
                numbers.get(r.order_id),
                shops.get(r.shop_id),
                KIND_LABELS[r.kind],
                REASONS[r.reason_code].label,
                money(r.refund_fen),
                STATUS_LABELS[r.status],
                REFUND_LABELS[r.refund_state],
                r.requested_at,
            ]
            for r in rows
        ),
    )


@router.post("")
def create(
    session: SessionDep,
    user: RequireAgent,
    shop_code: Annotated[str, Form()],
    order_no: Annotated[str, Form(min_length=1)],
    kind: Annotated[RequestKind, Form()],
    reason_code: Annotated[str, Form()],
    reason_text: Annotated[str | None, Form()] = None,
    sku_code: Annotated[str | None, Form()] = None,
    amount: Annotated[str | None, Form()] = None,
) -> Response:
    """An agent registers a request the customer made in chat or by phone."""
    try:
        data = ReturnRequestIn(
            shop_code=shop_code,
            order_no=order_no.strip(),
            kind=kind,
            reason_code=reason_code,
            reason_text=reason_text or None,
            sku_code=sku_code or None,
            refund_fen=_fen(amount) if amount else None,
            channel="console",
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInputError(".".join(str(p) for p in first["loc"]), first["msg"]) from None
    item = service.create_request(session, data=data, actor_id=user.id)
    return _back(item.id)


def _detail(request: Request, session: Session, user: User, return_id: int, **extra: Any) -> Response:
    item = service.get_request(session, return_id)
    order = session.get(Order, item.order_id)
    customer = session.get(Customer, item.customer_id)
    assert order is not None
    assert customer is not None
    parcel = session.get(Shipment, item.return_shipment_id) if item.return_shipment_id else None
    payouts_rows = repository.payouts_of(session, order.id)
    policy = service.get_policy(session, item.shop_id)
    reveal = user.may_see_pii
    return render(
        request,
        "returns/detail.html",
        item=item,
        order=order,
        receiver=order.receiver_name if reveal else mask_name(order.receiver_name),
        phone=order.receiver_phone if reveal else mask_phone(order.receiver_phone),
        buyer=customer.source_id,
        sku=session.get(Sku, item.sku_id) if item.sku_id else None,
        parcel=parcel,
        proposals=service.retention_offers(session, request_id=item.id),
        offered=repository.offers_of(session, item.id),
        upgrades=repository.upgrades_of(session, item.id),
        approvals=repository.approvals_of(session, item.id),
        payouts=payouts_rows,
        names=auth_repository.display_names(session, {p.agent_id for p in payouts_rows} | {item.agent_id}),
        agent_limit=min(order.paid_fen * policy.agent_ratio_bp // 10_000, policy.agent_cap_fen),
        policy=policy,
        offer_kinds=OfferKind,
        # one key per rendered form: a double click or a resent form pays once
        form_key=uuid4().hex,
        **_labels(),
        **extra,
    )


@router.get("/approvals", response_class=HTMLResponse)
def approvals(request: Request, session: SessionDep, _: RequireSupervisor, page: PageDep) -> Response:
    rows, total = paginate(session, repository.approvals(), page)
    decided = repository.recent_decisions(session, limit=20)
    orders = order_repository.orders_by_id(session, [r.order_id for r in rows])
    names = auth_repository.display_names(
        session, {r.requested_by for r in rows} | {r.decided_by for r in decided}
    )
    return render(
        request,
        "returns/approvals.html",
        rows=rows,
        total=total,
        orders=orders,
        names=names,
        recent=decided,
        gifts=repository.pending_gifts(session),
        **_labels(),
    )


@router.post("/approvals/{approval_id}")
def decide(
    session: SessionDep,
    user: RequireSupervisor,
    approval_id: int,
    decision: Annotated[str, Form()],
    note: Annotated[str | None, Form()] = None,
) -> Response:
    payouts.decide_approval(
        session, approval_id=approval_id, approve=decision == "approve", actor=user, note=note
    )
    return RedirectResponse("/console/returns/approvals", status_code=303)


@router.get("/ledger", response_class=HTMLResponse)
def ledger(request: Request, session: SessionDep, _: CurrentUser, by: str = "agent") -> Response:
    totals = repository.ledger_totals(session)
    if by not in ("agent", "sku", "reason"):
        raise InvalidInputError("by", "只能按 agent / sku / reason 统计")
    conversion = repository.conversion_report(session, by=by)
    recent = repository.recent_payouts(session)
    agent_ids = {r["agent_id"] for r in totals} | {r.agent_id for r in recent}
    if by == "agent":
        agent_ids |= {r["key"] for r in conversion}
    skus = {}
    if by == "sku":
        ids = [r["key"] for r in conversion if r["key"] is not None]
        skus = catalog_repository.skus_by_id(session, ids)
    return render(
        request,
        "returns/ledger.html",
        totals=totals,
        grand_total=sum(int(r["amount_fen"]) for r in totals),
        conversion=conversion,
        by=by,
        recent=recent,
        names=auth_repository.display_names(session, agent_ids),
        skus=skus,
        **_labels(),
    )


@router.get("/reshipments", response_class=HTMLResponse)
def reshipment_list(request: Request, session: SessionDep, _: CurrentUser) -> Response:
    rows = reshipments.list_with_sync(session)
    orders = order_repository.orders_by_id(session, [r["reshipment"].order_id for r in rows])
    return render(request, "returns/reshipments.html", rows=rows, orders=orders, erp_labels=erp.LABELS)


@router.get("/reshipments/new", response_class=HTMLResponse)
def new_reshipment(request: Request, session: SessionDep, user: RequireAgent, ticket_id: int) -> Response:
    """Reshipment from a ticket (link: ``/console/returns/reshipments/new?ticket_id=<id>``)."""
    ticket = tickets_service.get_ticket(session, ticket_id)
    if ticket.order_id is None:
        raise InvalidInputError("ticket_id", "该工单未关联订单,无法补发")
    order = session.get(Order, ticket.order_id)
    assert order is not None
    lines = order_repository.order_lines(session, order.id)
    return render(
        request,
        "returns/reship_form.html",
        ticket=ticket,
        order=order,
        lines=lines,
        receiver=order.receiver_name if user.may_see_pii else mask_name(order.receiver_name),
        phone=order.receiver_phone if user.may_see_pii else mask_phone(order.receiver_phone),
    )


@router.post("/reshipments")
def create_reshipment(
    session: SessionDep,
    user: RequireAgent,
    ticket_id: Annotated[int, Form()],
    line: Annotated[list[int], Form(description="order line numbers to send again")],
    reason: Annotated[str, Form(min_length=2)],
) -> Response:
    ticket = tickets_service.get_ticket(session, ticket_id)
    if ticket.order_id is None:
        raise InvalidInputError("ticket_id", "该工单未关联订单,无法补发")
    chosen = order_repository.order_lines(session, ticket.order_id, line)
    if not chosen:
        raise InvalidInputError("line", "请选择要补发的商品")
    items = [ReshipItem(sku_code=i.sku_code, title=i.title, quantity=i.quantity) for i in chosen]
    data = ReshipmentIn(order_id=ticket.order_id, ticket_id=ticket.id, items=items, reason=reason)
    reshipments.create_reshipment(session, data=data, actor_id=user.id)
    return RedirectResponse("/console/returns/reshipments", status_code=303)


@router.get("/{return_id}", response_class=HTMLResponse)
def detail(request: Request, session: SessionDep, user: CurrentUser, return_id: int) -> Response:
    return _detail(request, session, user, return_id)


def _back(return_id: int) -> RedirectResponse:
    return RedirectResponse(f"/console/returns/{return_id}", status_code=303)


@router.post("/{return_id}/offers")
def offer(
    session: SessionDep, user: RequireAgent, return_id: int, kinds: Annotated[list[OfferKind], Form()]
) -> Response:
    service.record_offers(session, request_id=return_id, kinds=kinds, actor=user)
    return _back(return_id)


@router.post("/{return_id}/choice")
def choose(
    request: Request,
    session: SessionDep,
    user: RequireAgent,
    return_id: int,
    accepted: Annotated[str, Form()],
) -> Response:
    choice = OfferKind(accepted) if accepted != "declined" else None
    return act_or_rerender(
        session,
        lambda: service.record_choice(session, request_id=return_id, accepted=choice, actor=user),
        failed=ApprovalMayAllowError,
        rerender=lambda exc: _detail(
            request, session, user, return_id, error=exc.message, approval_offered=exc.approval_available
        ),
        done=lambda _: _back(return_id),
    )


@router.post("/{return_id}/compensate")
def compensate(
    request: Request,
    session: SessionDep,
    user: RequireAgent,
    return_id: int,
    amount: Annotated[str, Form(description="yuan, up to two decimals")],
    note: Annotated[str | None, Form()] = None,
    form_key: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    item = service.get_request(session, return_id)
    fen = _fen(amount)
    return act_or_rerender(
        session,
        lambda: payouts.pay_compensation(
            session,
            order_id=item.order_id,
            amount_fen=fen,
            reason_code=item.reason_code,
            actor=user,
            request_id=item.id,
            note=note,
            idempotency_key=form_key or None,
        ),
        failed=ApprovalMayAllowError,
        rerender=lambda exc: _detail(
            request,
            session,
            user,
            return_id,
            status_code=exc.status_code,
            error=exc.message,
            approval_offered=exc.approval_available,
            approval_amount=amount,
            approval_note=note or "",
        ),
        done=lambda _: _back(return_id),
    )


@router.post("/{return_id}/approval")
def ask_approval(
    session: SessionDep,
    user: RequireAgent,
    return_id: int,
    amount: Annotated[str, Form()],
    note: Annotated[str, Form(min_length=2)],
    form_key: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    item = service.get_request(session, return_id)
    payouts.request_approval(
        session,
        order_id=item.order_id,
        amount_fen=_fen(amount),
        reason_code=item.reason_code,
        note=note,
        actor=user,
        request_id=item.id,
        idempotency_key=form_key or None,
    )
    return _back(return_id)


@router.post("/{return_id}/extend")
def extend(
    session: SessionDep,
    user: RequireAgent,
    return_id: int,
    days: Annotated[int, Form(ge=1, le=90)],
    reason: Annotated[str, Form(min_length=2)],
) -> Response:
    item = service.get_request(session, return_id)
    payouts.extend_window(
        session, order_id=item.order_id, days=days, reason=reason, actor=user, request_id=item.id
    )
    return _back(return_id)


@router.post("/{return_id}/parcel")
def parcel(
    session: SessionDep,
    _: RequireAgent,
    return_id: int,
    courier: Annotated[str, Form()],
    tracking_no: Annotated[str, Form(min_length=4)],
) -> Response:
    from aftersales.orders.couriers import courier_code

    try:
        code = courier_code(courier)
    except KeyError:
        raise InvalidInputError("courier", f"未知快递公司: {courier}") from None
    refunds.attach_return_parcel(session, request_id=return_id, courier=code, tracking_no=tracking_no.strip())
    return _back(return_id)


@router.post("/{return_id}/early-refund")
def early_refund(session: SessionDep, user: RequireAgent, return_id: int) -> Response:
    payouts.early_refund(session, request_id=return_id, actor=user)
    return _back(return_id)


@router.post("/{return_id}/refund")
def refund(session: SessionDep, user: RequireAgent, return_id: int) -> Response:
    payouts.refund(session, request_id=return_id, actor=user)
    return _back(return_id)


@router.post("/{return_id}/warehouse")
def warehouse(
    session: SessionDep,
    user: RequireAgent,
    return_id: int,
    passed: Annotated[str, Form()],
    note: Annotated[str | None, Form()] = None,
) -> Response:
    service.record_warehouse_check(
        session, request_id=return_id, passed=passed == "yes", note=note, actor=user
    )
    return _back(return_id)


@router.post("/{return_id}/exchange")
def exchange(session: SessionDep, user: RequireAgent, return_id: int) -> Response:
    reshipments.exchange_after_check(session, request_id=return_id, actor=user)
    return _back(return_id)


@router.post("/{return_id}/reship")
def reship(
    session: SessionDep,
    user: RequireAgent,
    return_id: int,
    title: Annotated[str, Form(min_length=1)],
    reason: Annotated[str, Form(min_length=2)],
    quantity: Annotated[int, Form(ge=1, le=1000)] = 1,
    sku_code: Annotated[str | None, Form()] = None,
) -> Response:
    item: ReturnRequest = service.get_request(session, return_id)
    data = ReshipmentIn(
        order_id=item.order_id,
        request_id=item.id,
        items=[ReshipItem(sku_code=sku_code or None, title=title, quantity=quantity)],
        reason=reason,
    )
    reshipments.create_reshipment(session, data=data, actor_id=user.id)
    return _back(return_id)
