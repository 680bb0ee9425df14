from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.events import publish
from aftersales.logistics import service
from aftersales.logistics.models import Anomaly, AnomalyKind, AnomalyStatus, ScanMark
from aftersales.logistics.rules import save_rule
from aftersales.orders.events import OrdersIngested
from aftersales.orders.models import Shipment
from aftersales.orders.schemas import TrackingEventIn
from aftersales.orders.service import ingest_tracking_events
from tests.builders import make_order, make_parcel, make_region
from tests.builders.logistics import arrived, collected, delivered

T0 = datetime(2026, 11, 14, 6, 0, tzinfo=UTC)
T1 = T0 + timedelta(minutes=10)
Finding = tuple[int, str, str, datetime | None]


def before_t0(hours: float) -> datetime:
    return T0 - timedelta(hours=hours)


def track(session: Session, parcel: Shipment, event: tuple[datetime, str, str]) -> None:
    """A courier event through ingestion, as production receives it (which marks the parcel)."""
    at, text, where = event
    ingest_tracking_events(
        session,
        [
            TrackingEventIn(
                courier=parcel.courier,
                tracking_no=parcel.tracking_no,
                occurred_at=at,
                raw_text=text,
                location=where,
            )
        ],
    )


def findings(session: Session) -> set[Finding]:
    rows = session.execute(select(Anomaly.shipment_id, Anomaly.kind, Anomaly.status, Anomaly.observed_at))
    return {(sid, str(kind), str(status), observed) for sid, kind, status, observed in rows}


def open_kinds(session: Session, parcel: Shipment) -> set[AnomalyKind]:
    rows = session.scalars(
        select(Anomaly.kind).where(Anomaly.shipment_id == parcel.id, Anomaly.status == AnomalyStatus.OPEN)
    )
    return {AnomalyKind(k) for k in rows}


def crossing_parcels(session: Session) -> dict[str, Shipment]:
    """Parcels that start matching a rule between T0 and T1 without a new event, one per rule."""
    split = make_order(session)
    make_parcel(session, order=split, shipped_at=before_t0(100), timeline=[delivered(before_t0(47.95))])
    promised = make_order(session, promised_delivery_at=T0 + timedelta(minutes=5))
    hub = [collected(before_t0(40)), arrived(before_t0(35.95), "郑州"), arrived(before_t0(10), "郑州")]
    return {
        "no_first_scan": make_parcel(session, shipped_at=before_t0(23.95)),
        "no_update": make_parcel(session, shipped_at=before_t0(60), timeline=[collected(before_t0(47.95))]),
        "stuck_at_hub": make_parcel(session, shipped_at=before_t0(41), timeline=hub),
        "late": make_parcel(
            session,
            shipped_at=before_t0(30),
            estimated_delivery_at=T0 + timedelta(minutes=5),
            timeline=[collected(before_t0(29))],
        ),
        "late_promised": make_parcel(
            session, order=promised, shipped_at=before_t0(30), timeline=[collected(before_t0(29))]
        ),
        "split_lagging": make_parcel(
            session, order=split, shipped_at=before_t0(90), timeline=[collected(before_t0(89))]
        ),
    }


class TestPeriodicScan:
    def test_the_first_periodic_scan_is_a_full_sweep(self, session: Session) -> None:
        make_parcel(session, shipped_at=before_t0(30))
        counts = service.periodic_scan(session, now=T0)
        assert counts["incremental"] == 0

    def test_the_next_periodic_scan_evaluates_only_the_parcels_that_changed_or_crossed_a_threshold(
        self, session: Session
    ) -> None:
        quiet = [make_parcel(session, shipped_at=before_t0(2)) for _ in range(5)]
        service.periodic_scan(session, now=T0)
        track(session, quiet[0], collected(T0 + timedelta(minutes=5)))
        counts = service.periodic_scan(session, now=T1)
        assert (counts["incremental"], counts["parcels"]) == (1, 1)

    def test_the_scan_takes_the_marks_it_evaluated(self, session: Session) -> None:
        parcel = make_parcel(session, shipped_at=before_t0(2))
        service.periodic_scan(session, now=T0)
        track(session, parcel, collected(T0 + timedelta(minutes=5)))
        service.periodic_scan(session, now=T1)
        assert session.scalars(select(ScanMark.shipment_id)).all() == []

    @pytest.mark.parametrize(
        ("name", "kind"),
        [
            ("no_first_scan", AnomalyKind.NO_FIRST_SCAN),
            ("no_update", AnomalyKind.NO_UPDATE),
            ("stuck_at_hub", AnomalyKind.STUCK_AT_HUB),
            ("late", AnomalyKind.LATE),
            ("late_promised", AnomalyKind.LATE),
            ("split_lagging", AnomalyKind.SPLIT_LAGGING),
        ],
    )
    def test_a_parcel_crossing_a_threshold_between_scans_is_flagged_without_a_new_event(
        self, session: Session, name: str, kind: AnomalyKind
    ) -> None:
        parcel = crossing_parcels(session)[name]
        service.periodic_scan(session, now=T0)
        assert kind not in open_kinds(session, parcel)
        service.periodic_scan(session, now=T1)
        assert kind in open_kinds(session, parcel)

    def test_a_new_event_resolves_the_finding_at_the_next_incremental_scan(self, session: Session) -> None:
        parcel = make_parcel(session, shipped_at=before_t0(80), timeline=[collected(before_t0(60))])
        service.periodic_scan(session, now=T0)
        track(session, parcel, delivered(T0 + timedelta(minutes=5)))
        service.periodic_scan(session, now=T1)
        assert open_kinds(session, parcel) == set()

    def test_a_sibling_delivered_makes_the_lagging_parcel_a_candidate(self, session: Session) -> None:
        order = make_order(session)
        first = make_parcel(
            session, order=order, shipped_at=before_t0(100), timeline=[collected(before_t0(99))]
        )
        lagging = make_parcel(
            session, order=order, shipped_at=before_t0(90), timeline=[collected(before_t0(89))]
        )
        save_rule(session, kind=AnomalyKind.SPLIT_LAGGING, threshold_hours=0)
        service.periodic_scan(session, now=T0)
        track(session, first, delivered(T0 + timedelta(minutes=1)))
        service.periodic_scan(session, now=T1)
        assert AnomalyKind.SPLIT_LAGGING in open_kinds(session, lagging)

    def test_a_changed_rule_makes_the_next_periodic_scan_a_full_sweep(self, session: Session) -> None:
        make_parcel(session, shipped_at=before_t0(30))
        service.periodic_scan(session, now=T0)
        save_rule(session, kind=AnomalyKind.NO_FIRST_SCAN, threshold_hours=48)
        counts = service.periodic_scan(session, now=T1)
        assert counts["incremental"] == 0

    def test_a_restriction_becoming_active_makes_the_next_periodic_scan_a_full_sweep(
        self, session: Session
    ) -> None:
        make_region(session, province="西藏自治区", valid_from=T0 + timedelta(minutes=5))
        service.periodic_scan(session, now=T0)
        counts = service.periodic_scan(session, now=T1)
        assert counts["incremental"] == 0

    def test_an_agent_resolved_finding_still_true_is_reopened_by_the_next_incremental_scan(
        self, session: Session
    ) -> None:
        parcel = make_parcel(session, shipped_at=before_t0(30))
        service.periodic_scan(session, now=T0)
        anomaly = session.scalars(select(Anomaly).where(Anomaly.shipment_id == parcel.id)).one()
        service.resolve_anomaly(session, anomaly_id=anomaly.id, now=T0 + timedelta(minutes=1))
        service.periodic_scan(session, now=T1)
        assert open_kinds(session, parcel) == {AnomalyKind.NO_FIRST_SCAN}


class TestEquivalence:
    def test_incremental_scans_find_exactly_what_a_full_sweep_at_the_same_moment_finds(
        self, session: Session
    ) -> None:
        parcels = crossing_parcels(session)
        silent = make_parcel(session, shipped_at=before_t0(80), timeline=[collected(before_t0(60))])
        moving = make_parcel(session, shipped_at=before_t0(20), timeline=[collected(before_t0(19))])
        make_region(session, province="西藏自治区", valid_from=before_t0(48))
        tibet = make_order(session, province="西藏自治区", city="拉萨市", district="城关区")
        make_parcel(session, order=tibet, shipped_at=before_t0(5))
        service.periodic_scan(session, now=T0)
        track(session, silent, arrived(T0 + timedelta(minutes=2), "上海"))
        track(session, moving, delivered(T0 + timedelta(minutes=4)))
        track(session, parcels["no_first_scan"], collected(T0 + timedelta(minutes=6)))
        for step in range(1, 4):
            counts = service.periodic_scan(session, now=T0 + step * timedelta(minutes=10))
            assert counts["incremental"] == 1
        incremental = findings(session)
        service.scan(session, now=T0 + 3 * timedelta(minutes=10))
        assert findings(session) == incremental


class TestRegionHolds:
    def test_an_order_ingested_between_scans_into_a_restricted_region_is_held_by_the_incremental_scan(
        self, session: Session
    ) -> None:
        make_region(session, province="西藏自治区", valid_from=before_t0(48))
        service.periodic_scan(session, now=T0)
        order = make_order(session, province="西藏自治区", city="拉萨市", district="城关区", status="paid")
        publish(session, OrdersIngested(order_ids=(order.id,)))
        counts = service.periodic_scan(session, now=T1)
        assert (counts["incremental"], counts["region_holds"]) == (1, 1)

    def test_the_incremental_scan_checks_only_the_orders_that_changed(self, session: Session) -> None:
        make_region(session, province="西藏自治区", valid_from=before_t0(48))
        service.periodic_scan(session, now=T0)
        make_order(session, province="西藏自治区", city="拉萨市", district="城关区", status="paid")
        counts = service.periodic_scan(session, now=T1)
        assert counts["region_holds"] == 0
