"""Domain-event subscriptions: a refund request on a parcel in transit triggers interception; a
buyer's chat message after a care step was sent is that step's reply."""

from sqlalchemy.orm import Session

from aftersales.kit.events import DomainEvent, subscribe
from aftersales.logistics import care, intercepts


@subscribe("returns.refund_requested")
def intercept_on_refund(session: Session, event: DomainEvent) -> None:
    """Runs in the refund's transaction at any hour; the courier call itself is a job after commit."""
    intercepts.on_refund_requested(session, event.payload)


@subscribe("conversations.customer_messages")
def care_reply_from_chat(session: Session, event: DomainEvent) -> None:
    """In the ingesting transaction: a negative reply's ticket commits with the message."""
    care.record_chat_replies(session, list(event.payload.get("messages", [])))
