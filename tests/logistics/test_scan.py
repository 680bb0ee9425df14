from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.logistics import scan as scan_module
from aftersales.logistics.models import Anomaly, AnomalyKind, AnomalyStatus
from aftersales.logistics.rules import save_rule
from aftersales.logistics.scan import run_scan
from aftersales.orders.models import Shipment, ShipmentDirection
from tests.builders import make_order, make_parcel, make_region
from tests.builders.logistics import arrived, collected, delivered

NOW = datetime(2026, 11, 14, 6, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=20)


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def scan(session: Session, now: datetime = NOW) -> dict[str, int]:
    return run_scan(session, now=now, shipped_since=now - timedelta(days=20))


def kinds_of(session: Session, shipment: Shipment) -> set[AnomalyKind]:
    rows = session.scalars(
        select(Anomaly.kind).where(Anomaly.shipment_id == shipment.id, Anomaly.status == AnomalyStatus.OPEN)
    )
    return {AnomalyKind(k) for k in rows}


class TestNoFirstScan:
    def test_flags_a_parcel_never_collected_a_day_after_shipping(self, session: Session) -> None:
        parcel = make_parcel(session, shipped_at=hours_ago(30))
        scan(session)
        assert kinds_of(session, parcel) == {AnomalyKind.NO_FIRST_SCAN}

    def test_leaves_a_parcel_shipped_this_morning_alone(self, session: Session) -> None:
        parcel = make_parcel(session, shipped_at=hours_ago(10))
        scan(session)
        assert kinds_of(session, parcel) == set()

    def test_uses_the_tighter_threshold_of_same_day_couriers(self, session: Session) -> None:
        parcel = make_parcel(session, shipped_at=hours_ago(14), courier="sf")
        scan(session)
        assert kinds_of(session, parcel) == {AnomalyKind.NO_FIRST_SCAN}


class TestNoUpdate:
    def test_flags_a_parcel_silent_for_two_days_in_transit(self, session: Session) -> None:
        parcel = make_parcel(
            session,
            shipped_at=hours_ago(80),
            timeline=[collected(hours_ago(78)), arrived(hours_ago(60), "上海")],
        )
        scan(session)
        assert AnomalyKind.NO_UPDATE in kinds_of(session, parcel)

    def test_ignores_a_delivered_parcel_however_old_its_last_event(self, session: Session) -> None:
        parcel = make_parcel(
            session, shipped_at=hours_ago(120), timeline=[collected(hours_ago(118)), delivered(hours_ago(90))]
        )
        scan(session)
        assert kinds_of(session, parcel) == set()

    def test_follows_a_courier_threshold_saved_by_the_shop(self, session: Session) -> None:
        save_rule(session, kind=AnomalyKind.NO_UPDATE, courier="zto", threshold_hours=100)
        parcel = make_parcel(
            session,
            shipped_at=hours_ago(80),
            timeline=[collected(hours_ago(78)), arrived(hours_ago(60), "上海")],
        )
        scan(session)
        assert AnomalyKind.NO_UPDATE not in kinds_of(session, parcel)


class TestStuckAtHub:
    def test_flags_a_parcel_scanned_at_the_same_hub_for_two_days(self, session: Session) -> None:
        parcel = make_parcel(
            session,
            shipped_at=hours_ago(70),
            timeline=[
                collected(hours_ago(68)),
                arrived(hours_ago(50), "郑州"),
                (hours_ago(20), "快件在【郑州转运中心】滞留,请耐心等待", "郑州"),
            ],
        )
        scan(session)
        assert kinds_of(session, parcel) == {AnomalyKind.STUCK_AT_HUB}

    def test_judges_each_parcel_by_its_own_timeline(self, session: Session) -> None:
        moving = make_parcel(
            session,
            shipped_at=hours_ago(70),
            timeline=[
                collected(hours_ago(68)),
                arrived(hours_ago(50), "郑州"),
                arrived(hours_ago(5), "北京"),
            ],
        )
        stuck = make_parcel(
            session,
            shipped_at=hours_ago(70),
            timeline=[
                collected(hours_ago(68)),
                arrived(hours_ago(50), "郑州"),
                arrived(hours_ago(4), "郑州"),
            ],
        )
        scan(session)
        assert (kinds_of(session, moving), kinds_of(session, stuck)) == (set(), {AnomalyKind.STUCK_AT_HUB})

    def test_does_not_count_the_road_from_the_last_hub_as_waiting(self, session: Session) -> None:
        parcel = make_parcel(
            session,
            shipped_at=hours_ago(70),
            timeline=[collected(hours_ago(68)), arrived(hours_ago(10), "郑州")],
        )
        scan(session)
        assert AnomalyKind.STUCK_AT_HUB not in kinds_of(session, parcel)


class TestDeliveryFailedAndReturned:
    def test_flags_a_failed_delivery(self, session: Session) -> None:
        parcel = make_parcel(
            session,
            shipped_at=hours_ago(50),
            timeline=[collected(hours_ago(48)), (hours_ago(2), "派送失败:收件人电话无人接听", "北京")],
        )
        scan(session)
        assert kinds_of(session, parcel) == {AnomalyKind.DELIVERY_FAILED}

    def test_flags_a_parcel_returned_to_sender(self, session: Session) -> None:
        parcel = make_parcel(
            session,
            shipped_at=hours_ago(90),
            timeline=[collected(hours_ago(88)), (hours_ago(5), "快件已退回寄件人", "北京")],
        )
        scan(session)
        assert kinds_of(session, parcel) == {AnomalyKind.RETURNED}


class TestLate:
    def test_flags_a_parcel_past_its_estimated_delivery(self, session: Session) -> None:
        parcel = make_parcel(
            session,
            shipped_at=hours_ago(40),
            estimated_delivery_at=hours_ago(1),
            timeline=[collected(hours_ago(38)), arrived(hours_ago(20), "上海")],
        )
        scan(session)
        assert kinds_of(session, parcel) == {AnomalyKind.LATE}

    def test_prefers_the_platform_promise_over_the_courier_estimate(self, session: Session) -> None:
        order = make_order(session, promised_delivery_at=NOW + timedelta(days=1))
        parcel = make_parcel(
            session,
            order=order,
            shipped_at=hours_ago(40),
            estimated_delivery_at=hours_ago(1),
            timeline=[collected(hours_ago(38)), arrived(hours_ago(20), "上海")],
        )
        scan(session)
        assert AnomalyKind.LATE not in kinds_of(session, parcel)


class TestRestrictedRegion:
    def test_flags_a_parcel_heading_into_an_active_restriction(self, session: Session) -> None:
        make_region(session, province="新疆维吾尔自治区", valid_from=hours_ago(48))
        order = make_order(session, province="新疆维吾尔自治区", city="乌鲁木齐市", district="天山区")
        parcel = make_parcel(
            session, order=order, shipped_at=hours_ago(5), timeline=[collected(hours_ago(4))]
        )
        scan(session)
        assert kinds_of(session, parcel) == {AnomalyKind.RESTRICTED_REGION}

    def test_ignores_a_restriction_that_has_expired(self, session: Session) -> None:
        make_region(
            session, province="新疆维吾尔自治区", valid_from=hours_ago(200), valid_until=hours_ago(100)
        )
        order = make_order(session, province="新疆维吾尔自治区", city="乌鲁木齐市", district="天山区")
        parcel = make_parcel(
            session, order=order, shipped_at=hours_ago(5), timeline=[collected(hours_ago(4))]
        )
        scan(session)
        assert kinds_of(session, parcel) == set()

    def test_matches_a_district_restriction_only_in_that_district(self, session: Session) -> None:
        make_region(session, province="浙江省", city="杭州市", district="余杭区", valid_from=hours_ago(48))
        order = make_order(session, province="浙江省", city="杭州市", district="西湖区")
        parcel = make_parcel(
            session, order=order, shipped_at=hours_ago(5), timeline=[collected(hours_ago(4))]
        )
        scan(session)
        assert kinds_of(session, parcel) == set()


class TestSplitLagging:
    def test_flags_the_parcel_still_on_its_way_two_days_after_its_sibling_arrived(
        self, session: Session
    ) -> None:
        order = make_order(session)
        make_parcel(
            session,
            order=order,
            shipped_at=hours_ago(100),
            timeline=[collected(hours_ago(99)), delivered(hours_ago(60))],
        )
        lagging = make_parcel(
            session,
            order=order,
            shipped_at=hours_ago(70),
            timeline=[collected(hours_ago(69)), arrived(hours_ago(3), "天津")],
        )
        scan(session)
        assert kinds_of(session, lagging) == {AnomalyKind.SPLIT_LAGGING}


class TestRescan:
    def test_a_rescan_updates_the_finding_instead_of_adding_one(self, session: Session) -> None:
        parcel = make_parcel(session, shipped_at=hours_ago(30))
        scan(session)
        scan(session, now=NOW + timedelta(minutes=10))
        rows = session.scalars(select(Anomaly).where(Anomaly.shipment_id == parcel.id)).all()
        assert [(r.kind, r.last_seen_at) for r in rows] == [
            (AnomalyKind.NO_FIRST_SCAN, NOW + timedelta(minutes=10))
        ]

    def test_a_finding_no_longer_true_is_resolved(self, session: Session) -> None:
        parcel = make_parcel(session, shipped_at=hours_ago(30))
        scan(session)
        make_parcel(session, shipped_at=hours_ago(1))  # unrelated traffic
        session.execute(
            Shipment.__table__.update().where(Shipment.id == parcel.id).values(status="collected")
        )
        counts = scan(session, now=NOW + timedelta(minutes=10))
        status = session.scalar(select(Anomaly.status).where(Anomaly.shipment_id == parcel.id))
        assert (status, counts["resolved"]) == (AnomalyStatus.RESOLVED, 1)

    def test_counts_the_findings_of_each_rule(self, session: Session) -> None:
        make_parcel(session, shipped_at=hours_ago(30))
        make_parcel(session, shipped_at=hours_ago(40))
        counts = scan(session)
        assert counts[AnomalyKind.NO_FIRST_SCAN.value] == 2
        assert session.scalar(select(func.count()).select_from(Anomaly)) == 2


class TestReturnParcels:
    def test_a_buyers_return_parcel_is_never_flagged(self, session: Session) -> None:
        parcel = make_parcel(session, shipped_at=hours_ago(72), direction=ShipmentDirection.RETURN)
        scan(session)
        assert kinds_of(session, parcel) == set()

    def test_an_outbound_parcel_of_the_same_age_is_flagged(self, session: Session) -> None:
        parcel = make_parcel(session, shipped_at=hours_ago(72))
        scan(session)
        assert kinds_of(session, parcel) == {AnomalyKind.NO_FIRST_SCAN}


class TestOffIndexEqualsPlainColumn:
    """``scan.off_index`` is a planner hint over ``scan.plain_column``: the same findings."""

    def test_the_scan_finds_the_same_parcels_with_the_plain_column(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        for hours in (10, 30, 70, 21 * 24):  # new, uncollected, stuck, outside the scope
            make_parcel(session, shipped_at=hours_ago(hours))
        make_parcel(
            session,
            shipped_at=hours_ago(70),
            timeline=[
                collected(hours_ago(68)),
                arrived(hours_ago(50), "郑州"),
                arrived(hours_ago(20), "郑州"),
            ],
        )
        with session.begin_nested() as reference:
            monkeypatch.setattr(scan_module, "off_index", scan_module.plain_column)
            plain = open_findings(session, scan(session))
            reference.rollback()
        monkeypatch.undo()
        kinds = {kind for _, kind in plain}
        assert (kinds, open_findings(session, scan(session))) == ({"no_first_scan", "stuck_at_hub"}, plain)


def open_findings(session: Session, _counts: dict[str, int]) -> set[tuple[int, str]]:
    rows = session.execute(
        select(Anomaly.shipment_id, Anomaly.kind).where(Anomaly.status == AnomalyStatus.OPEN)
    )
    return {(shipment_id, str(kind)) for shipment_id, kind in rows}
