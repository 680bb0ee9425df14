import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.time import utcnow
from aftersales.orders.models import Customer, Order, OrderStatus, Shipment, TrackingEvent, TrackingStatus
from aftersales.orders.tracking import event_source_id
from tests.builders.catalog import make_shop

_seq = itertools.count(1)


def make_customer(session: Session, *, shop: Shop | None = None, **overrides: Any) -> Customer:
    n = next(_seq)
    platform = (shop or make_shop(session)).platform
    fields = {
        "platform": platform,
        "source_id": f"buyer{n}",
        "name": "张三",
        "phone": "13812345678",
        **overrides,
    }
    customer = Customer(**fields)
    session.add(customer)
    session.flush()
    return customer


def make_order(
    session: Session, *, shop: Shop | None = None, customer: Customer | None = None, **overrides: Any
) -> Order:
    n = next(_seq)
    shop = shop or make_shop(session)
    customer = customer or make_customer(session, shop=shop)
    now = utcnow()
    fields = {
        "source_id": f"T{n:012d}",
        "status": OrderStatus.SHIPPED,
        "total_fen": 29900,
        "paid_fen": 29900,
        "receiver_name": "张三",
        "receiver_phone": "13812345678",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "address": "文三路 100号 3幢",
        "ordered_at": now - timedelta(days=3),
        "paid_at": now - timedelta(days=3),
        **overrides,
    }
    order = Order(shop_id=shop.id, customer_id=customer.id, platform=shop.platform, **fields)
    session.add(order)
    session.flush()
    return order


def make_shipment(session: Session, *, order: Order | None = None, **overrides: Any) -> Shipment:
    n = next(_seq)
    order = order or make_order(session)
    fields = {
        "courier": "zto",
        "tracking_no": f"7350000{n:08d}",
        "shipped_at": utcnow() - timedelta(days=2),
        **overrides,
    }
    shipment = Shipment(order_id=order.id, **fields)
    session.add(shipment)
    session.flush()
    return shipment


def make_event(
    session: Session,
    *,
    shipment: Shipment,
    occurred_at: datetime | None = None,
    status: TrackingStatus = TrackingStatus.IN_TRANSIT,
    raw_text: str = "快件已到达【杭州转运中心】",
    **overrides: Any,
) -> TrackingEvent:
    occurred_at = occurred_at or utcnow()
    event = TrackingEvent(
        shipment_id=shipment.id,
        source_id=event_source_id(occurred_at, raw_text),
        occurred_at=occurred_at,
        status=status,
        raw_text=raw_text,
        **overrides,
    )
    session.add(event)
    session.flush()
    return event
