"""Domain-event subscriptions: a refund request on a parcel in transit triggers interception."""

from sqlalchemy.orm import Session

from aftersales.kit.events import DomainEvent, subscribe
from aftersales.logistics import intercepts


@subscribe("returns.refund_requested")
def intercept_on_refund(session: Session, event: DomainEvent) -> None:
    """Runs in the refund's transaction at any hour; the courier call itself is a job after commit."""
    intercepts.on_refund_requested(session, event.payload)
