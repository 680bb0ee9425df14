"""How returns talks to tickets (docs/contracts.md): one ticket per request, every decision and
payout on its timeline, supervisors notified through their group."""

from typing import Any

from sqlalchemy.orm import Session

from aftersales.orders.models import Order
from aftersales.returns.models import RequestKind, ReturnRequest
from aftersales.returns.reasons import reason
from aftersales.tickets import service as tickets

TICKET_TYPES = {
    RequestKind.RETURN: "return",
    RequestKind.EXCHANGE: "exchange",
    RequestKind.REFUND_ONLY: "refund",
}
KIND_LABELS = {
    RequestKind.RETURN: "退货退款",
    RequestKind.EXCHANGE: "换货",
    RequestKind.REFUND_ONLY: "仅退款",
}


def open_for_request(session: Session, request: ReturnRequest, order: Order, *, high_value: bool) -> int:
    """Open (or find, when the same request arrives again) the request's ticket."""
    why = reason(request.reason_code)
    title = f"{KIND_LABELS[request.kind]}:{why.label} · 订单 {order.source_id}"
    description = request.reason_text or why.label
    ticket, _created = tickets.open_system_ticket(
        session,
        source="returns",
        source_key=f"request:{request.id}",
        shop_id=request.shop_id,
        order_id=request.order_id,
        customer_id=request.customer_id,
        type=TICKET_TYPES[request.kind],
        category=why.category,
        subcategory=why.subcategory,
        title=title,
        description=description,
        severity="high" if high_value and why.is_quality else "medium",
        data={"return_request_id": request.id, "refund_fen": request.refund_fen},
    )
    return int(ticket.id)


def open_for_order(session: Session, order: Order, *, key: str, title: str, description: str) -> int:
    """A ticket for a payout that has no return request (e.g. a goodwill compensation)."""
    ticket, _created = tickets.open_system_ticket(
        session,
        source="returns",
        source_key=key,
        shop_id=order.shop_id,
        order_id=order.id,
        customer_id=order.customer_id,
        type="complaint",
        category="服务问题",
        subcategory="其他",
        title=title,
        description=description,
    )
    return int(ticket.id)


def note(
    session: Session,
    ticket_id: int | None,
    *,
    actor_id: int | None,
    kind: str,
    message: str,
    data: dict[str, Any] | None = None,
) -> None:
    if ticket_id is None:
        return
    tickets.add_timeline_entry(
        session, ticket_id=ticket_id, actor_id=actor_id, kind=kind, message=message, data=data
    )


def notify_supervisors(session: Session, *, text: str, idempotency_key: str) -> None:
    tickets.notify_group(session, group_code="supervisors", text=text, idempotency_key=idempotency_key)
