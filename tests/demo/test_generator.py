import hashlib
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.demo.generator import DemoConfig, generate
from aftersales.orders.models import Order, Shipment, TrackingStatus

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
