"""One reading of an order's hold and its parcels' dates for everything the buyer sees: the bot's
answers (催发货, 延迟发货, 改地址, 物流), the portal's order page and its forms. The hold is
logistics' restriction state (``regions.order_restriction``), the same truth the notices and
reshipments read, so no page promises a date the hold breaks."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import format_local
from aftersales.logistics import regions
from aftersales.orders.couriers import courier_name
from aftersales.orders.models import Order, OrderItem, Shipment, ShipmentDirection

TYPICAL_TRANSIT_DAYS = 3  # without a courier estimate, the usual transit time


def restriction(session: Session, order: Order, address: Any | None = None) -> regions.Restriction | None:
    return regions.order_restriction(session, order=order, address=address)


def eta_text(parcel: Shipment, now: datetime) -> str:
    """Signed for, expected, or late: a past estimate is said to be late, never shown as a plan."""
    if parcel.delivered_at:
        return f"已于 {format_local(parcel.delivered_at, '%m月%d日 %H:%M')} 签收"
    expected = parcel.estimated_delivery_at or parcel.shipped_at + timedelta(days=TYPICAL_TRANSIT_DAYS)
    if expected < now:
        return f"原预计 {format_local(expected, '%m月%d日')} 送达,已延误,我们正在催促快递"
    return f"预计 {format_local(expected, '%m月%d日')} 送达"


def _carrying(parcels: list[Shipment], line_no: int) -> list[Shipment]:
    """The parcels that hold an item line; when the platform did not say which lines a parcel
    holds, any outbound parcel may hold it."""
    outbound = [p for p in parcels if p.direction == ShipmentDirection.OUTBOUND and not p.is_reshipment]
    known = [p for p in outbound if p.item_lines and line_no in p.item_lines]
    return known or [p for p in outbound if not p.item_lines]


def refuse_missing_in_transit(
    items: dict[int, OrderItem], line_nos: list[int], parcels: list[Shipment], now: datetime
) -> None:
    """An item whose parcel is still travelling is not missing yet: the claim waits for delivery."""
    for line_no in line_nos:
        for parcel in _carrying(parcels, line_no):
            if parcel.delivered_at is None:
                raise InvalidInputError(
                    "line_nos",
                    f"「{items[line_no].title}」所在包裹 {courier_name(parcel.courier)} {parcel.tracking_no} "
                    f"还在运输中({eta_text(parcel, now)}),签收后如仍缺少再来申请",
                )
