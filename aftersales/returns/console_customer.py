"""The 售后记录 card on the order and ticket pages: what the customer asked for and received in the
last 30/90 days, with the serial-returner flag agents must see before offering a gift or money;
and the supervisors' decision on a gift the caps held (listed on the 补偿审批 page)."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aftersales.auth.deps import CurrentUser, RequireSupervisor, SessionDep
from aftersales.orders.models import Order
from aftersales.returns import limits, reshipments, service
from aftersales.web.panels import Panel, no_panel, register_panel, render_panel

router = APIRouter()
CUSTOMER_PANEL = Panel("客户售后记录", "/console/returns/panels/order/{order_id}/customer")
for _page in ("order_detail", "ticket_detail"):
    register_panel(_page, CUSTOMER_PANEL)


@router.get("/panels/order/{order_id}/customer", response_class=HTMLResponse)
def customer_panel(request: Request, session: SessionDep, _: CurrentUser, order_id: int) -> Response:
    """No request, gift or payout in 90 days: no card. A serial returner reads loudly."""
    order = session.get(Order, order_id)
    if order is None:
        return no_panel()
    policy = service.get_policy(session, order.shop_id)
    record = limits.customer_record(session, order.customer_id, policy)
    if not (record.requests_30d or record.gifts[90] or record.compensation_fen[90]):
        return no_panel()
    return render_panel(
        request,
        CUSTOMER_PANEL,
        "returns/_customer_panel.html",
        tone="bad" if record.serial_returner else "",
        record=record,
        policy=policy,
    )


@router.post("/gifts/{upgrade_id}")
def decide_gift(
    session: SessionDep,
    user: RequireSupervisor,
    upgrade_id: int,
    decision: Annotated[str, Form()],
    note: Annotated[str | None, Form()] = None,
) -> Response:
    reshipments.decide_gift(
        session, upgrade_id=upgrade_id, approve=decision == "approve", actor=user, note=note
    )
    return RedirectResponse("/console/returns/approvals", status_code=303)
