"""Domain-event subscriptions: a refund request on a parcel in transit triggers interception; a
buyer's chat message after a care step was sent is that step's reply; parcels whose tracking,
shipment or order changed are marked for the next incremental anomaly scan; a shipped gift parcel
is announced."""

from sqlalchemy.orm import Session

from aftersales.kit.events import DomainEvent, subscribe
from aftersales.logistics import care, gifts, incremental, intercepts


@subscribe("returns.refund_requested")
def intercept_on_refund(session: Session, event: DomainEvent) -> None:
    """Runs in the refund's transaction at any hour; the courier call itself is a job after commit."""
    intercepts.on_refund_requested(session, event.payload)


@subscribe("conversations.customer_messages")
def care_reply_from_chat(session: Session, event: DomainEvent) -> None:
    """In the ingesting transaction: a negative reply's ticket commits with the message."""
    care.record_chat_replies(session, list(event.payload.get("messages", [])))


@subscribe("orders.tracking_updated")
def mark_tracked_parcels(session: Session, event: DomainEvent) -> None:
    """In the ingesting transaction, so a mark is visible exactly when the new state is."""
    incremental.mark_parcels(session, list(event.payload.get("shipment_ids", [])))


@subscribe("orders.shipments_ingested")
def mark_shipped_orders(session: Session, event: DomainEvent) -> None:
    incremental.mark_orders(session, list(event.payload.get("order_ids", [])))


@subscribe("orders.shipments_ingested")
def announce_gift_parcels(session: Session, event: DomainEvent) -> None:
    """In the ingesting transaction: the notice commits with the parcel it names."""
    gifts.notify_gift_parcels(session, list(event.payload.get("order_ids", [])))


@subscribe("orders.ingested")
def mark_updated_orders(session: Session, event: DomainEvent) -> None:
    """A promised date or address may have changed: the late and restricted-region rules read them."""
    incremental.mark_orders(session, list(event.payload.get("order_ids", [])))
