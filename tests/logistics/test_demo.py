from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.demo.generator import DemoConfig, generate
from aftersales.logistics.models import Anomaly, RegionHold, RestrictedRegion
from aftersales.messaging.models import OutboxMessage
from aftersales.tickets.models import Ticket

CONFIG = DemoConfig.build(
    seed=5, orders=1200, peak_day=date(2026, 11, 11), as_of=datetime(2026, 11, 15, 15, 0)
)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_the_demo_promotion_shows_anomalies_tickets_messages_and_restricted_regions(session: Session) -> None:
    """One generation (it is the slow part) checked for everything the console shows after it."""
    summary = generate(CONFIG)["logistics"]
    with_tickets = session.scalar(select(func.count()).where(Anomaly.ticket_id.is_not(None))) or 0
    logistics_tickets = session.scalar(select(func.count()).where(Ticket.source == "logistics")) or 0
    assert summary["anomalies"] > 0
    assert with_tickets == count(session, Anomaly)
    parcels = session.scalar(select(func.count(func.distinct(Anomaly.shipment_id)))) or 0
    assert logistics_tickets >= parcels  # one ticket per parcel, whatever its findings
    assert count(session, OutboxMessage) > 0
    texts = [m.payload.get("text") or "" for m in session.scalars(select(OutboxMessage))]
    assert not [t for t in texts if "亲,因," in t or "()" in t]  # no notice with its reason or date missing
    provinces = set(session.scalars(select(RestrictedRegion.province)))
    assert {"新疆维吾尔自治区", "西藏自治区"} <= provinces
    assert count(session, RegionHold) > 0


def test_the_demo_interceptions_span_every_state_on_the_demo_clock(session: Session) -> None:
    from aftersales.logistics.intercepts import stats
    from aftersales.logistics.models import Intercept, InterceptStatus

    generate(CONFIG)
    states = set(session.scalars(select(Intercept.status)))
    latency = stats(session).median_seconds_to_request
    assert states == set(InterceptStatus)
    assert latency is not None
    assert 0 < latency <= 15 * 60
