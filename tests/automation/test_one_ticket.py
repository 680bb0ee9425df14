"""One stuck parcel is one problem: its findings update one ticket, and resolve themselves on it."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.logistics import service
from aftersales.logistics.defaults import ensure_defaults
from aftersales.orders.models import Shipment
from aftersales.orders.repository import refresh_shipment_state
from aftersales.orders.tracking import TrackingStatus
from aftersales.tickets.models import Ticket, TimelineEntry
from tests.builders import make_event, make_order, make_parcel

NOW = datetime(2026, 11, 14, 6, 0, tzinfo=UTC)


def stuck_parcel(session: Session) -> Shipment:
    """No update for 60 h, at the 郑州 hub since then, and past its ETA: three findings."""
    return make_parcel(
        session,
        order=make_order(session),
        tracking_no="YT444STUCK",
        courier="yto",
        shipped_at=NOW - timedelta(hours=90),
        estimated_delivery_at=NOW - timedelta(hours=10),
        timeline=[
            (NOW - timedelta(hours=88), "【杭州】快件已揽收", "杭州"),
            (NOW - timedelta(hours=60), "快件已到达【郑州转运中心】", "郑州"),
        ],
    )


def tickets(session: Session) -> list[Ticket]:
    return list(session.scalars(select(Ticket).where(Ticket.source == "logistics")))


def test_three_findings_on_one_parcel_open_one_ticket_listing_each_with_its_time(session: Session) -> None:
    ensure_defaults(session)
    stuck_parcel(session)
    service.scan(session, now=NOW)
    service.follow_up(session, now=NOW)
    [ticket] = tickets(session)
    assert sorted(f["label"] for f in ticket.data["findings"]) == [
        "滞留中转站",
        "物流长时间未更新",
        "超时未送达",
    ]
    assert {f["seen_at"] for f in ticket.data["findings"]} == {NOW.isoformat()}


def test_a_finding_that_resolves_is_marked_resolved_on_the_ticket(session: Session) -> None:
    ensure_defaults(session)
    parcel = stuck_parcel(session)
    service.scan(session, now=NOW)
    service.follow_up(session, now=NOW)
    later = NOW + timedelta(hours=2)
    make_event(
        session,
        shipment=parcel,
        occurred_at=later - timedelta(minutes=30),
        status=TrackingStatus.OUT_FOR_DELIVERY,
        raw_text="【北京】快递员正在派送",
        location="北京",
    )
    refresh_shipment_state(session, [parcel.id])
    service.scan(session, now=later)
    assert service.follow_up(session, now=later)["resolved"] == 2
    [ticket] = tickets(session)
    open_findings = [f["label"] for f in ticket.data["findings"] if f["resolved_at"] is None]
    assert open_findings == ["超时未送达"]
    lines = session.scalars(select(TimelineEntry.message).where(TimelineEntry.ticket_id == ticket.id)).all()
    assert sorted(m for m in lines if m.startswith("物流异常已恢复")) == [
        "物流异常已恢复: 滞留中转站",
        "物流异常已恢复: 物流长时间未更新",
    ]
