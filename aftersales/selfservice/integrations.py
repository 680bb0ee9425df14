"""The portal's and the bot's calls into the domains below (tickets, returns, messaging,
conversations, QC), imported directly so that mypy, the import graph and "go to definition"
follow every one; ``docs/contracts.md`` names them. Errors those domains raise propagate and roll
the request back.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.conversations import service as conversations
from aftersales.messaging import templates
from aftersales.messaging.service import queue_message
from aftersales.orders.models import Order
from aftersales.qc import risk
from aftersales.returns import photo_refunds, price_protection
from aftersales.returns import service as returns
from aftersales.returns.models import RequestKind as ReturnKind
from aftersales.returns.models import ReturnRequest
from aftersales.returns.schemas import ReturnRequestIn
from aftersales.tickets import collab
from aftersales.tickets import service as tickets
from aftersales.tickets.models import Ticket


@dataclass(frozen=True)
class TicketRef:
    id: int
    expected_by: datetime | None


def _due_of(ticket: Ticket) -> datetime | None:
    """When the customer may expect an answer: the SLA's resolution deadline."""
    return ticket.resolution_due_at or ticket.sla_due_at


def open_ticket(session: Session, **fields: Any) -> TicketRef:
    """``tickets.service.open_system_ticket`` (idempotent by source + source_key)."""
    ticket, _created = tickets.open_system_ticket(session, **fields)
    return TicketRef(ticket.id, _due_of(ticket))


def notify_group(session: Session, **fields: Any) -> int:
    """``tickets.service.notify_group``: a notice to a ticket group's bots through the outbox."""
    return int(tickets.notify_group(session, **fields))


def add_ticket_note(session: Session, *, ticket_id: int, message: str, data: dict[str, Any]) -> None:
    tickets.add_timeline_entry(
        session, ticket_id=ticket_id, actor_id=None, kind="selfservice", message=message, data=data
    )


@dataclass(frozen=True)
class ReturnRef:
    id: int
    ticket_id: int | None
    expected_by: datetime | None


PORTAL_TO_RETURNS_KIND = {
    "return": ReturnKind.RETURN,
    "exchange": ReturnKind.EXCHANGE,
    "refund": ReturnKind.REFUND_ONLY,
}


def create_return_request(
    session: Session, *, order: Order, kind: str, reason_code: str, reason_text: str
) -> ReturnRef:
    """``returns.service.create_request`` with the returns domain's own input schema."""
    shop = session.get(Shop, order.shop_id)
    assert shop is not None
    data = ReturnRequestIn(
        shop_code=shop.code,
        order_no=order.source_id,
        kind=PORTAL_TO_RETURNS_KIND[kind],
        reason_code=reason_code,
        reason_text=reason_text,
        channel="api",
    )
    created = returns.create_request(session, data=data, actor_id=None)
    ticket = session.get(Ticket, created.ticket_id) if created.ticket_id is not None else None
    return ReturnRef(created.id, created.ticket_id, _due_of(ticket) if ticket is not None else None)


def attach_ticket_photos(
    session: Session, *, ticket_id: int, photos: list[tuple[bytes, str | None]]
) -> list[int]:
    """The buyer's photos (content, name) become the ticket's evidence for group cards."""
    return [
        collab.attach_photo(
            session, ticket_id=ticket_id, content=content, source="buyer", original_name=name
        ).id
        for content, name in photos
    ]


def refund_on_photos(session: Session, *, return_request_id: int, photo_ids: list[int]) -> bool:
    """``returns.photo_refunds.refund_on_photos``: True when the shop's rule refunded directly."""
    outcome = photo_refunds.refund_on_photos(session, request_id=return_request_id, photo_ids=photo_ids)
    return outcome is not None and outcome.refunded


def retention_offers(session: Session, *, request_id: int) -> list[returns.Offer]:
    return returns.retention_offers(session, request_id=request_id)


def order_context(session: Session, order_id: int) -> dict[str, Any]:
    return dict(templates.order_context(session, order_id))


def template_render(body: str, context: dict[str, Any]) -> str:
    return templates.render(body, context)


def template_validate(body: str) -> None:
    """The messaging template check: raises on unknown variables."""
    templates.validate_template(body)


def send_text(session: Session, *, order_id: int, phone: str | None, text: str, idempotency_key: str) -> None:
    """A free-text customer notice through the outbox (SMS to the order's phone)."""
    if not phone:
        return
    queue_message(
        session,
        channel="sms",
        destination=phone,
        payload={"text": text, "order_id": order_id},
        idempotency_key=idempotency_key,
        subject=("order", order_id),
    )


def append_message(session: Session, **fields: Any) -> None:
    """``conversations.service.append_message``: the bot's turns join the chat QC inspects."""
    conversations.append_message(session, **fields)


def mark_handed_over(session: Session, *, shop_id: int, session_key: str, at: datetime) -> None:
    """``conversations.service.mark_handed_over``: the session's transfer marker."""
    conversations.mark_handed_over(session, shop_id=shop_id, session_key=session_key, at=at)


def negative_emotion(text: str) -> str | None:
    """QC's emotion label when QC judges the text negative with some confidence."""
    from aftersales.qc import emotion  # the model's libraries load on first use

    reading = emotion.classify([text])[0]
    if reading.polarity == "negative" and reading.confidence >= 0.5:
        return reading.label
    return None


ANGER_CAUSES = ("态度", "产品", "少件")


def angry_cause(text: str, *, threshold: float, topic: str | None) -> str | None:
    """QC's cause when it reads the text as dissatisfied with service, product or a missing item
    above ``threshold``; plain parcel or refund questions score 物流 / 其他 and never count."""
    from aftersales.qc import emotion

    reading = emotion.classify([text])[0]
    angry = reading.polarity == "negative" and reading.label in ANGER_CAUSES and reading.label != topic
    return reading.label if angry and reading.confidence >= threshold else None


def risk_phrases(text: str) -> list[str]:
    return [hit.phrase for hit in risk.detect(text)]


REFUND_STATE_LABELS = {
    "none": "无需退款",
    "pending": "待退款",
    "held_for_intercept": "包裹拦截中,拦截成功后退款",
    "intercept_failed": "拦截未成功,客服跟进中",
    "released": "已退款",
}


def refund_progress(session: Session, *, return_request_id: int) -> tuple[str, int] | None:
    """(refund state label, amount in fen) of a return request, read from the returns domain."""
    row = session.get(ReturnRequest, return_request_id)
    if row is None:
        return None
    state = str(row.refund_state.value)
    return REFUND_STATE_LABELS.get(state, state), row.refund_fen


def price_protection_quotes(session: Session, *, order: Order) -> list[price_protection.Quote]:
    """The order's lines at today's catalogue price, as returns' 保价 rule would refund them."""
    return price_protection.catalog_quotes(session, order)


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    """The ticket a survey is about (its shop, customer, order and assignee)."""
    return tickets.get_ticket(session, ticket_id)
