"""Calls into domains built alongside this one (tickets, returns, messaging templates,
conversations, QC), exactly as ``docs/contracts.md`` names them.

Each call checks once that the module and function exist, so the portal and the bot keep working
in a deployment (or a moment of development) without them. Nothing here swallows errors raised
by those domains: if a function exists, its errors propagate and roll the request back.
"""

import importlib
import importlib.util
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from aftersales.messaging.service import queue_message


def _module(name: str) -> ModuleType | None:
    try:
        if importlib.util.find_spec(name) is None:
            return None
    except ModuleNotFoundError:
        return None
    return importlib.import_module(name)


def _function(module_name: str, name: str) -> Any:
    module = _module(module_name)
    return getattr(module, name, None) if module is not None else None


@dataclass(frozen=True)
class TicketRef:
    id: int
    expected_by: datetime | None


def _due_of(ticket: Any) -> datetime | None:
    """The SLA's expected resolution time, whatever the tickets domain calls it."""
    for attribute in ("resolve_due_at", "resolution_due_at", "due_at", "sla_due_at", "first_response_due_at"):
        value = getattr(ticket, attribute, None)
        if isinstance(value, datetime):
            return value
    return None


def open_ticket(session: Session, **fields: Any) -> TicketRef | None:
    """``tickets.service.open_system_ticket`` (idempotent by source + source_key)."""
    opener = _function("aftersales.tickets.service", "open_system_ticket")
    if opener is None:
        return None
    ticket, _created = opener(session, **fields)
    return TicketRef(ticket.id, _due_of(ticket))


def notify_group(session: Session, **fields: Any) -> int:
    """``tickets.service.notify_group``: a notice to a ticket group's bots through the outbox."""
    notifier = _function("aftersales.tickets.service", "notify_group")
    return int(notifier(session, **fields)) if notifier is not None else 0


def add_ticket_note(session: Session, *, ticket_id: int, message: str, data: dict[str, Any]) -> None:
    adder = _function("aftersales.tickets.service", "add_timeline_entry")
    if adder is not None:
        adder(session, ticket_id=ticket_id, actor_id=None, kind="selfservice", message=message, data=data)


@dataclass(frozen=True)
class ReturnRef:
    id: int
    ticket_id: int | None
    expected_by: datetime | None


PORTAL_TO_RETURNS_KIND = {"return": "return", "exchange": "exchange", "refund": "refund_only"}


def create_return_request(
    session: Session, *, order: Any, kind: str, reason_code: str, reason_text: str
) -> ReturnRef | None:
    """``returns.service.create_request`` with the returns domain's own input schema."""
    creator = _function("aftersales.returns.service", "create_request")
    schema = _function("aftersales.returns.schemas", "ReturnRequestIn")
    if creator is None or schema is None:
        return None
    from aftersales.catalog.models import Shop

    shop_code = session.get(Shop, order.shop_id).code  # type: ignore[union-attr]
    data = schema(
        shop_code=shop_code,
        order_no=order.source_id,
        kind=PORTAL_TO_RETURNS_KIND[kind],
        reason_code=reason_code,
        reason_text=reason_text,
        channel="api",
    )
    created = creator(session, data=data, actor_id=None)
    ticket_id = getattr(created, "ticket_id", None)
    expected = None
    if ticket_id is not None:
        ticket_model = _function("aftersales.tickets.models", "Ticket")
        ticket = session.get(ticket_model, ticket_id) if ticket_model is not None else None
        expected = _due_of(ticket) if ticket is not None else None
    return ReturnRef(int(created.id), ticket_id, expected)


def retention_offers(session: Session, *, request_id: int) -> list[Any]:
    offers = _function("aftersales.returns.service", "retention_offers")
    return list(offers(session, request_id=request_id)) if offers is not None else []


def order_context(session: Session, order_id: int) -> dict[str, Any] | None:
    builder = _function("aftersales.messaging.templates", "order_context")
    return dict(builder(session, order_id)) if builder is not None else None


def template_render(body: str, context: dict[str, Any]) -> str | None:
    renderer = _function("aftersales.messaging.templates", "render")
    return str(renderer(body, context)) if renderer is not None else None


def template_validate(body: str) -> bool:
    """Runs the messaging template check when it exists (it raises on unknown variables)."""
    validator = _function("aftersales.messaging.templates", "validate_template")
    if validator is None:
        return False
    validator(body)
    return True


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


def append_message(session: Session, **fields: Any) -> bool:
    """``conversations.service.append_message``; False when conversations is not installed."""
    appender = _function("aftersales.conversations.service", "append_message")
    if appender is None:
        return False
    appender(session, **fields)
    return True


def mark_handed_over(session: Session, *, shop_id: int, session_key: str, at: datetime) -> None:
    """``conversations.service.mark_handed_over``: the session's transfer marker."""
    marker = _function("aftersales.conversations.service", "mark_handed_over")
    if marker is not None:
        marker(session, shop_id=shop_id, session_key=session_key, at=at)


def negative_emotion(text: str) -> str | None:
    """QC's emotion label when QC judges the text negative with some confidence."""
    classify = _function("aftersales.qc.emotion", "classify")
    if classify is None:
        return None
    emotion = classify([text])[0]
    if getattr(emotion, "polarity", None) == "negative" and float(getattr(emotion, "confidence", 0)) >= 0.5:
        return str(getattr(emotion, "label", "negative"))
    return None


ANGER_CAUSES = ("态度", "产品", "少件")


def angry_cause(text: str, *, threshold: float, topic: str | None) -> str | None:
    """QC's cause when it reads the text as dissatisfied with service, product or a missing item
    above ``threshold``; plain parcel or refund questions score 物流 / 其他 and never count."""
    classify = _function("aftersales.qc.emotion", "classify")
    if classify is None:
        return None
    emotion = classify([text])[0]
    angry = emotion.polarity == "negative" and emotion.label in ANGER_CAUSES and emotion.label != topic
    return str(emotion.label) if angry and emotion.confidence >= threshold else None


def risk_phrases(text: str) -> list[str]:
    detect = _function("aftersales.qc.risk", "detect")
    if detect is None:
        return []
    return [str(getattr(hit, "phrase", "")) for hit in detect(text)]


REFUND_STATE_LABELS = {
    "none": "无需退款",
    "pending": "待退款",
    "held_for_intercept": "包裹拦截中,拦截成功后退款",
    "intercept_failed": "拦截未成功,客服跟进中",
    "released": "已退款",
}


def refund_progress(session: Session, *, return_request_id: int) -> tuple[str, int] | None:
    """(refund state label, amount in fen) of a return request, read from the returns domain."""
    model = _function("aftersales.returns.models", "ReturnRequest")
    if model is None:
        return None
    row = session.get(model, return_request_id)
    if row is None:
        return None
    state = str(getattr(row.refund_state, "value", row.refund_state))
    return REFUND_STATE_LABELS.get(state, state), int(row.refund_fen)
