import hashlib
from datetime import UTC, date, datetime

import time_machine
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.demo.generator import DemoConfig, generate
from aftersales.orders.models import Order, Shipment, TrackingEvent, TrackingStatus
from aftersales.tickets.models import Ticket

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


def test_a_pinned_peak_day_generates_the_same_data_in_any_year(session: Session) -> None:
    with time_machine.travel(datetime(2026, 12, 1, 9, 0)):
        generate(DemoConfig.build(seed=7, orders=300, peak_day=date(2026, 11, 11)))
    first = promotion_fingerprint(session)
    with time_machine.travel(datetime(2027, 12, 1, 9, 0)):
        generate(DemoConfig.build(seed=7, orders=300, peak_day=date(2026, 11, 11)))
    assert promotion_fingerprint(session) == first


def test_default_promotion_is_seen_now_on_the_last_day_of_its_after_sales_window() -> None:
    with time_machine.travel(datetime(2026, 12, 7, 4, 30, tzinfo=UTC), tick=False):
        config = DemoConfig.build()
    assert config.as_of == datetime(2026, 12, 7, 4, 30, tzinfo=UTC)
    assert config.peak_day == date(2026, 11, 24)  # day 14 of the window is 2026-12-07 in Shanghai


def test_about_one_order_per_buyer_with_a_few_repeaters(session: Session) -> None:
    generate(CONFIG)
    orders = session.scalar(select(func.count(Order.id))) or 0
    per_buyer = list(session.scalars(select(func.count(Order.id)).group_by(Order.customer_id)))
    assert orders / len(per_buyer) < 1.15
    assert 1 < max(per_buyer) <= 5


def test_a_repeat_buyer_ships_to_one_address(session: Session) -> None:
    generate(CONFIG)
    provinces = session.scalars(
        select(func.count(func.distinct(Order.province))).group_by(Order.customer_id)
    ).all()
    assert set(provinces) == {1}


def test_every_order_has_a_receiver_and_an_address(session: Session) -> None:
    generate(CONFIG)
    missing = session.scalar(
        select(func.count(Order.id)).where((Order.province.is_(None)) | (Order.receiver_phone.is_(None)))
    )
    assert missing == 0


def test_system_tickets_open_when_their_cause_arose_not_in_the_loads_minute(session: Session) -> None:
    generate(CONFIG)
    opened = list(
        session.scalars(select(Ticket.created_at).where(Ticket.source.in_(("logistics", "returns"))))
    )
    days = {at.date() for at in opened}
    assert len(days) > 3
    assert max(opened) <= CONFIG.as_of
