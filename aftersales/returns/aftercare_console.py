"""Console of price protection (保价退差价, a card on the order page) and appeals (申诉: a list with
deadlines, overdue in red, a detail page to choose the evidence, submit and record the outcome,
and a card on the ticket page to start one). Included by ``returns/console.py``; rules live in
``price_protection.py`` and ``appeals.py``."""

from typing import Annotated
from uuid import uuid4

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from aftersales.auth.deps import CurrentUser, RequireAgent, SessionDep
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.pagination import PageDep, paginate
from aftersales.kit.time import utcnow
from aftersales.orders import repository as order_repository
from aftersales.orders.models import Order
from aftersales.returns import appeals, price_protection
from aftersales.returns.aftercare_models import APPEAL_STATUS_LABELS, AppealStatus
from aftersales.returns.aftercare_schemas import AppealIn, AppealOutcomeIn, EvidenceIn
from aftersales.returns.console_policies import fen
from aftersales.tickets.models import Ticket
from aftersales.web.panels import Panel, no_panel, register_panel, render_panel
from aftersales.web.render import render

router = APIRouter()
BASE = "/console/returns"
PRICE_PANEL = Panel("保价退差价", BASE + "/panels/order/{order_id}/price-protection")
APPEAL_PANEL = Panel("申诉", BASE + "/panels/ticket/{ticket_id}/appeals")
register_panel("order_detail", PRICE_PANEL)
register_panel("ticket_detail", APPEAL_PANEL)


def _invalid(exc: ValidationError) -> InvalidInputError:
    first = exc.errors()[0]
    return InvalidInputError(".".join(str(p) for p in first["loc"]), "格式不正确或缺少内容")


@router.get("/panels/order/{order_id}/price-protection", response_class=HTMLResponse)
def price_panel(request: Request, session: SessionDep, _: CurrentUser, order_id: int) -> Response:
    """The shop's rule, what was already refunded, and the form (nothing when the shop has no rule)."""
    order = session.get(Order, order_id)
    rule = price_protection.rule_for(session, order.shop_id) if order else None
    if order is None or rule is None or not rule.is_active:
        return no_panel()
    items = order_repository.order_lines(session, order.id)
    return render_panel(
        request,
        PRICE_PANEL,
        "returns/price_panel.html",
        order=order,
        rule=rule,
        items=items,
        done=price_protection.protections_of(session, order.id),
        form_key=uuid4().hex,
    )


@router.post("/orders/{order_id}/price-protection")
def protect(
    session: SessionDep,
    user: RequireAgent,
    order_id: int,
    sku_code: Annotated[str, Form(max_length=64)],
    new_price: Annotated[str, Form(description="yuan per unit now")],
    form_key: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    """The difference is computed on the server; the form sends only the SKU and its new price."""
    price_protection.protect(
        session,
        order_id=order_id,
        sku_code=sku_code,
        new_unit_fen=fen(new_price),
        actor=user,
        idempotency_key=form_key or None,
    )
    return RedirectResponse(f"/console/orders/{order_id}", status_code=303)


@router.get("/panels/ticket/{ticket_id}/appeals", response_class=HTMLResponse)
def appeal_panel(request: Request, session: SessionDep, _: CurrentUser, ticket_id: int) -> Response:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.order_id is None:
        return no_panel()
    rows = appeals.of_ticket(session, ticket_id)
    return render_panel(
        request,
        APPEAL_PANEL,
        "returns/appeal_panel.html",
        ticket=ticket,
        rows=rows,
        statuses=APPEAL_STATUS_LABELS,
    )


@router.get("/appeals", response_class=HTMLResponse)
def appeal_list(
    request: Request, session: SessionDep, _: CurrentUser, page: PageDep, status: AppealStatus | None = None
) -> Response:
    rows, total = paginate(session, appeals.listing(status=status), page)
    orders = order_repository.orders_by_id(session, [r.order_id for r in rows])
    now = utcnow()
    return render(
        request,
        "returns/appeals.html",
        rows=rows,
        orders=orders,
        total=total,
        page=page,
        status=status,
        statuses=APPEAL_STATUS_LABELS,
        overdue={r.id for r in rows if appeals.is_overdue(r, now)},
        due_soon={
            r.id
            for r in rows
            if r.status == AppealStatus.DRAFT and 0 <= (r.deadline_at - now).total_seconds() < 86_400
        },
    )


@router.post("/appeals")
def create_appeal(
    session: SessionDep,
    user: RequireAgent,
    order_id: Annotated[int, Form()],
    ruling: Annotated[str, Form(max_length=4000)],
    deadline_at: Annotated[str, Form(description="Asia/Shanghai wall time")],
    ticket_id: Annotated[int | None, Form()] = None,
) -> Response:
    try:
        data = AppealIn(order_id=order_id, ticket_id=ticket_id, ruling=ruling, deadline_at=deadline_at)
    except ValidationError as exc:
        raise _invalid(exc) from None
    appeal = appeals.create(session, data=data, actor=user)
    return RedirectResponse(f"{BASE}/appeals/{appeal.id}", status_code=303)


@router.get("/appeals/{appeal_id}", response_class=HTMLResponse)
def appeal_detail(request: Request, session: SessionDep, _: CurrentUser, appeal_id: int) -> Response:
    appeal = appeals.get_appeal(session, appeal_id)
    chosen = {(e["kind"], e["ref_id"]) for e in appeal.evidence}
    return render(
        request,
        "returns/appeal.html",
        appeal=appeal,
        order=session.get(Order, appeal.order_id),
        candidates=appeals.candidates(session, order_id=appeal.order_id, ticket_id=appeal.ticket_id),
        chosen=chosen,
        chats=[e["text"] for e in appeal.evidence if e["kind"] == "chat"],
        statuses=APPEAL_STATUS_LABELS,
        kinds=appeals.EVIDENCE_LABELS,
        overdue=appeals.is_overdue(appeal, utcnow()),
    )


def _to_detail(appeal_id: int) -> Response:
    return RedirectResponse(f"{BASE}/appeals/{appeal_id}", status_code=303)


@router.post("/appeals/{appeal_id}/evidence")
def choose_evidence(
    session: SessionDep,
    _: RequireAgent,
    appeal_id: int,
    statement: Annotated[str, Form(max_length=8000)] = "",
    picked: Annotated[list[str] | None, Form(description="kind:id")] = None,
    chat: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Ticked rows (``timeline:12``) plus a pasted chat excerpt, one per blank-line block."""
    evidence = []
    for value in picked or []:
        kind, _sep, ref = value.partition(":")
        if kind not in appeals.EVIDENCE_LABELS or not ref.isdigit():
            raise InvalidInputError("picked", f"无法识别的证据: {value}")
        evidence.append(EvidenceIn(kind=kind, ref_id=int(ref)))
    evidence += [EvidenceIn(kind="chat", text=block.strip()) for block in chat.split("\n\n") if block.strip()]
    appeals.revise(session, appeal_id=appeal_id, evidence=evidence, statement=statement.strip())
    return _to_detail(appeal_id)


@router.post("/appeals/{appeal_id}/submit")
def submit_appeal(session: SessionDep, user: RequireAgent, appeal_id: int) -> Response:
    appeals.submit(session, appeal_id=appeal_id, actor=user)
    return _to_detail(appeal_id)


@router.post("/appeals/{appeal_id}/outcome")
def appeal_outcome(
    session: SessionDep,
    user: RequireAgent,
    appeal_id: int,
    result: Annotated[str, Form(pattern="^(won|lost)$")],
    note: Annotated[str, Form(max_length=4000)],
    topup: Annotated[str, Form(description="补款, yuan")] = "",
    good_review: Annotated[bool, Form()] = False,
) -> Response:
    try:
        data = AppealOutcomeIn(
            won=result == "won",
            note=note,
            topup_fen=fen(topup) if topup.strip() else 0,
            good_review=good_review,
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    appeals.record_outcome(session, appeal_id=appeal_id, data=data, actor=user)
    return _to_detail(appeal_id)
