from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.logistics import service
from aftersales.logistics.defaults import ensure_defaults
from aftersales.logistics.models import Anomaly, AnomalyKind
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Shipment
from aftersales.tickets.models import Ticket, TicketGroup
from tests.builders import make_order, make_parcel

NOW = datetime(2026, 11, 14, 6, 0, tzinfo=UTC)


def late_parcel(session: Session) -> Shipment:
    return make_parcel(
        session,
        order=make_order(session, source_id="T900"),
        shipped_at=NOW - timedelta(hours=60),
        estimated_delivery_at=NOW - timedelta(hours=30),
        timeline=[
            (NOW - timedelta(hours=58), "【杭州】快件已揽收", "杭州"),
            (NOW - timedelta(hours=6), "快件已到达【北京转运中心】", "北京"),
        ],
    )


def tickets_for(session: Session, shipment: Shipment) -> list[Ticket]:
    return list(session.scalars(select(Ticket).where(Ticket.source_key == f"anomaly:{shipment.id}")))


class TestFollowUp:
    def test_a_finding_opens_a_logistics_ticket_with_its_anomaly_type(self, session: Session) -> None:
        ensure_defaults(session)
        parcel = late_parcel(session)
        service.scan(session, now=NOW)
        service.follow_up(session, now=NOW)
        [ticket] = tickets_for(session, parcel)
        group = session.get(TicketGroup, ticket.group_id)
        assert (ticket.category, ticket.subcategory, ticket.source_key) == (
            "物流问题",
            "物流延迟",
            f"anomaly:{parcel.id}",
        )
        assert group is not None
        assert group.code == "logistics"

    def test_rescans_never_open_a_second_ticket(self, session: Session) -> None:
        ensure_defaults(session)
        parcel = late_parcel(session)
        for minutes in (0, 10, 20):
            service.scan(session, now=NOW + timedelta(minutes=minutes))
            service.follow_up(session, now=NOW + timedelta(minutes=minutes))
        assert len(tickets_for(session, parcel)) == 1

    def test_a_rule_that_notifies_queues_the_apology_to_the_buyer(self, session: Session) -> None:
        ensure_defaults(session)
        parcel = late_parcel(session)
        service.scan(session, now=NOW)
        service.follow_up(session, now=NOW)
        message = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"logistics:anomaly:{parcel.id}:late"
            )
        )
        assert message is not None
        assert "T900" in message.payload["text"]
        assert parcel.tracking_no in message.payload["text"]

    def test_a_silent_rule_opens_a_ticket_but_writes_to_no_buyer(self, session: Session) -> None:
        ensure_defaults(session)
        make_parcel(session, shipped_at=NOW - timedelta(hours=30))  # no first scan: agents only
        service.scan(session, now=NOW)
        result = service.follow_up(session, now=NOW)
        assert result == {"followed_up": 1, "messages": 0, "resolved": 0}

    def test_the_finding_remembers_its_ticket(self, session: Session) -> None:
        ensure_defaults(session)
        parcel = late_parcel(session)
        service.scan(session, now=NOW)
        service.follow_up(session, now=NOW)
        anomaly = session.scalar(select(Anomaly).where(Anomaly.shipment_id == parcel.id))
        assert anomaly is not None
        assert anomaly.ticket_id == tickets_for(session, parcel)[0].id

    def test_a_parcel_found_again_after_resolving_updates_the_same_ticket(self, session: Session) -> None:
        ensure_defaults(session)
        parcel = make_parcel(session, shipped_at=NOW - timedelta(hours=30))
        service.scan(session, now=NOW)
        service.follow_up(session, now=NOW)
        anomaly = session.scalar(select(Anomaly).where(Anomaly.kind == AnomalyKind.NO_FIRST_SCAN))
        assert anomaly is not None
        service.resolve_anomaly(session, anomaly_id=anomaly.id, now=NOW)
        service.scan(session, now=NOW + timedelta(hours=1))
        service.follow_up(session, now=NOW + timedelta(hours=1))
        assert (
            session.scalar(select(func.count()).select_from(Ticket).where(Ticket.source == "logistics")) == 1
        )
        assert len(tickets_for(session, parcel)) == 1
