import hashlib
from datetime import date, datetime

import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.demo.generator import DemoConfig, generate
from aftersales.orders.models import Order, Shipment, TrackingEvent, TrackingStatus

CONFIG = DemoConfig.build(
    seed=7, orders=300, peak_day=date(2026, 11, 11), as_of=datetime(2026, 11, 25, 12, 0)
)


def fingerprint(session: Session) -> str:
    rows = session.execute(
        select(Order.source_id, Order.paid_fen, Order.province, Order.status).order_by(Order.source_id)
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def test_same_seed_generates_the_same_promotion(session: Session) -> None:
    generate(CONFIG)
    first = fingerprint(session)
    generate(CONFIG)
    assert fingerprint(session) == first


def test_promotion_has_split_shipments_and_parcels_in_trouble(session: Session) -> None:
    summary = generate(
        DemoConfig.build(seed=3, orders=1500, peak_day=date(2026, 11, 11), as_of=datetime(2026, 11, 14))
    )
    statuses = list(session.scalars(select(Shipment.status)))
    assert summary["split_orders"] > 0
    assert None in statuses  # shipped but never scanned
    assert TrackingStatus.IN_TRANSIT in statuses
    assert TrackingStatus.DELIVERED in statuses


def test_nothing_happens_after_the_as_of_time(session: Session) -> None:
    generate(CONFIG)
    latest = session.scalar(select(func.max(Shipment.last_event_at)))
    assert latest is not None
    assert latest <= CONFIG.as_of


def promotion_fingerprint(session: Session) -> str:
    """Orders with their times and every parcel's tracking timeline."""
    orders = session.execute(
        select(Order.source_id, Order.ordered_at, Order.paid_at, Order.status).order_by(Order.source_id)
    )
    events = session.execute(
        select(Shipment.tracking_no, TrackingEvent.occurred_at, TrackingEvent.status)
        .join(Shipment, TrackingEvent.shipment_id == Shipment.id)
        .order_by(Shipment.tracking_no, TrackingEvent.occurred_at, TrackingEvent.source_id)
    )
    return hashlib.sha256(repr((list(orders), list(events))).encode()).hexdigest()


def test_same_seed_with_default_dates_generates_the_same_data_in_any_year(session: Session) -> None:
    with time_machine.travel(datetime(2026, 12, 1, 9, 0)):
        generate(DemoConfig.build(seed=7, orders=300))
    first = promotion_fingerprint(session)
    with time_machine.travel(datetime(2027, 12, 1, 9, 0)):
        generate(DemoConfig.build(seed=7, orders=300))
    assert promotion_fingerprint(session) == first


def test_default_promotion_is_seen_from_inside_its_after_sales_window() -> None:
    config = DemoConfig.build()
    assert config.peak_day == date(2026, 11, 11)
    assert date(2026, 11, 12) <= config.as_of.date() <= date(2026, 11, 25)
