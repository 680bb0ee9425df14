"""The gift-parcel notice: a parcel holding only the order's gift lines (the item's gift flag, as
the platform says which lines each parcel carries) is announced once, naming that parcel, so the
buyer does not take the separate parcel for a wrong or missing delivery."""

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.upsert import in_values
from aftersales.messaging.service import CustomerSend, send_customer_messages
from aftersales.messaging.templates import TemplateNotFoundError, gift_parcels
from aftersales.orders.models import OrderItem, Shipment, ShipmentDirection

TEMPLATE = "gift_notice"


def notify_gift_parcels(session: Session, order_ids: Sequence[int]) -> int:
    """Queue the notice for every gift parcel of ``order_ids``; the key (one per parcel) makes a
    repeat ingest of the same parcel queue nothing. A shop without the template sends none."""
    sends = [
        CustomerSend(
            parcel.order_id,
            f"logistics:gift-notice:{parcel.id}",
            parcel_id=parcel.id,
            why={"rule": "赠品发货通知", "finding": f"赠品单独发出,运单 {parcel.tracking_no}"},
        )
        for parcel in _gift_parcels(session, order_ids)
    ]
    if not sends:
        return 0
    try:
        return send_customer_messages(session, template_code=TEMPLATE, sends=sends)
    except TemplateNotFoundError:
        return 0


def _gift_parcels(session: Session, order_ids: Sequence[int]) -> list[Shipment]:
    gift_orders = set(
        session.scalars(
            select(OrderItem.order_id).where(
                in_values(session, OrderItem.order_id, order_ids), OrderItem.is_gift
            )
        )
    )
    if not gift_orders:
        return []
    items = list(session.scalars(select(OrderItem).where(OrderItem.order_id.in_(gift_orders))))
    parcels = session.scalars(
        select(Shipment)
        .where(Shipment.order_id.in_(gift_orders), Shipment.direction == ShipmentDirection.OUTBOUND)
        .order_by(Shipment.id)
    )
    found: list[Shipment] = []
    for parcel in parcels:
        own = [i for i in items if i.order_id == parcel.order_id]
        found.extend(gift_parcels(own, [parcel]))
    return found
