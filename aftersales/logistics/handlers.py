"""Domain-event subscriptions: a refund request on a parcel in transit triggers interception; a
buyer's chat message after a care step was sent is that step's reply; parcels whose tracking,
shipment or order changed are marked for the next incremental anomaly scan; a shipped gift parcel
is announced."""

from sqlalchemy.orm import Session

from aftersales.kit.events import CustomerMessagesArrived, RefundRequested, subscribe
from aftersales.logistics import care, gifts, incremental, intercepts
from aftersales.orders.events import OrdersIngested, ShipmentsIngested, TrackingUpdated


@subscribe(RefundRequested)
def intercept_on_refund(session: Session, event: RefundRequested) -> None:
    """Runs in the refund's transaction at any hour; the courier call itself is a job after commit."""
    intercepts.on_refund_requested(session, event)


@subscribe(CustomerMessagesArrived)
def care_reply_from_chat(session: Session, event: CustomerMessagesArrived) -> None:
    """In the ingesting transaction: a negative reply's ticket commits with the message."""
    care.record_chat_replies(session, list(event.messages))


@subscribe(TrackingUpdated)
def mark_tracked_parcels(session: Session, event: TrackingUpdated) -> None:
    """In the ingesting transaction, so a mark is visible exactly when the new state is."""
    incremental.mark_parcels(session, list(event.shipment_ids))


@subscribe(ShipmentsIngested)
def mark_shipped_orders(session: Session, event: ShipmentsIngested) -> None:
    """An order import's parcels are marked with their orders by ``mark_updated_orders`` next."""
    if not event.orders_follow:
        incremental.mark_orders(session, list(event.order_ids))


@subscribe(ShipmentsIngested)
def announce_gift_parcels(session: Session, event: ShipmentsIngested) -> None:
    """In the ingesting transaction: the notice commits with the parcel it names."""
    gifts.notify_gift_parcels(session, list(event.order_ids))


@subscribe(OrdersIngested)
def mark_updated_orders(session: Session, event: OrdersIngested) -> None:
    """A promised date or address may have changed: the late and restricted-region rules read them."""
    incremental.mark_orders(session, list(event.order_ids))
