from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.config import get_settings
from aftersales.db import make_engine
from aftersales.jobs.models import Job, JobStatus
from aftersales.jobs.runner import drain
from aftersales.jobs.shards import IdRange
from aftersales.logistics import jobs, service
from aftersales.logistics.incremental import mark_parcels
from aftersales.logistics.models import Anomaly, AnomalyStatus, ScanMark
from aftersales.orders.models import Order, Shipment
from aftersales.tickets.models import Ticket
from tests.builders import make_order, make_parcel, make_region
from tests.databases import fresh_database
from tests.jobs.test_concurrency import in_parallel

NOW = datetime(2026, 11, 14, 6, 0, tzinfo=UTC)
SHARDS = 3
Finding = tuple[int, str, str, datetime | None]


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def collected_then(session: Session, order: Order, shipped: float, last: tuple[float, str, str]) -> Shipment:
    """A parcel shipped ``shipped`` hours ago, collected an hour later, then one more event."""
    at, text, where = last
    timeline = [(hours_ago(shipped - 1), "【杭州】快件已揽收", "杭州"), (hours_ago(at), text, where)]
    return make_parcel(session, order=order, shipped_at=hours_ago(shipped), timeline=timeline)


def troubled_parcels(session: Session) -> list[Shipment]:
    """Parcels of every kind of trouble, split orders with siblings in different shards among them."""
    make_region(session, province="西藏自治区", valid_from=hours_ago(48))
    tibet = make_order(session, province="西藏自治区", city="拉萨市", district="城关区")
    parcels = [make_parcel(session, shipped_at=hours_ago(30 + n)) for n in range(4)]
    parcels.append(make_parcel(session, order=tibet, shipped_at=hours_ago(5)))
    for _ in range(3):
        split = make_order(session)
        parcels.append(collected_then(session, split, 100, (60, "已签收,签收人:本人签收", "北京")))
        parcels += [make_parcel(session, shipped_at=hours_ago(1)) for _ in range(2)]  # in between
        parcels.append(collected_then(session, split, 70, (3, "快件已到达【天津转运中心】", "天津")))
    return parcels


def findings(session: Session) -> set[Finding]:
    rows = session.execute(select(Anomaly.shipment_id, Anomaly.kind, Anomaly.status, Anomaly.observed_at))
    return {(sid, str(kind), str(status), observed) for sid, kind, status, observed in rows}


def shard(session: Session, n: int, *, now: datetime = NOW) -> dict[str, int]:
    first, last = service.scan_span(session, now=now)
    return service.scan_shard(session, now=now, ids=IdRange(n, SHARDS, first, last))


def whole_scan_findings(session: Session) -> set[Finding]:
    """What the unsharded scan finds, in a savepoint rolled back afterwards."""
    nested = session.begin_nested()
    service.scan(session, now=NOW)
    found = findings(session)
    nested.rollback()
    return found


class TestShardedScan:
    def test_the_shards_together_find_exactly_what_the_whole_scan_finds(self, session: Session) -> None:
        troubled_parcels(session)
        expected = whole_scan_findings(session)
        for n in range(SHARDS):
            shard(session, n)
        kinds = {kind for _, kind, _, _ in expected}
        assert (findings(session), kinds) == (
            expected,
            {"no_first_scan", "restricted_region", "split_lagging"},
        )

    def test_running_every_shard_again_changes_nothing(self, session: Session) -> None:
        troubled_parcels(session)
        first_counts = [shard(session, n) for n in range(SHARDS)]
        first_findings = findings(session)
        again = [shard(session, n) for n in range(SHARDS)]
        assert (again, findings(session)) == (first_counts, first_findings)

    def test_a_shard_that_ran_does_not_resolve_findings_of_a_shard_still_to_run(
        self, session: Session
    ) -> None:
        parcels = troubled_parcels(session)
        service.scan(session, now=NOW)
        later = NOW + timedelta(minutes=10)
        shard(session, 0, now=later)
        last = parcels[-1]
        status = session.scalar(select(Anomaly.status).where(Anomaly.shipment_id == last.id))
        assert status == AnomalyStatus.OPEN

    def test_a_shard_resolves_the_findings_of_its_own_parcels_no_longer_true(self, session: Session) -> None:
        parcels = troubled_parcels(session)
        service.scan(session, now=NOW)
        first = parcels[0]
        session.execute(Shipment.__table__.update().where(Shipment.id == first.id).values(status="collected"))
        counts = shard(session, 0, now=NOW + timedelta(minutes=10))
        status = session.scalar(select(Anomaly.status).where(Anomaly.shipment_id == first.id))
        assert (status, counts["resolved"]) == (AnomalyStatus.RESOLVED, 1)


@pytest.fixture
def sharded(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(get_settings(), "logistics_scan_shards", SHARDS)
    with time_machine.travel(NOW, tick=False):
        yield


class TestShardedJobs:
    def test_the_daily_sweep_fans_out_one_job_per_shard(self, session: Session, sharded: None) -> None:
        troubled_parcels(session)
        jobs.daily_sweep(session)
        payloads = session.scalars(select(Job.payload).where(Job.name == "logistics.scan_shard")).all()
        assert sorted(p["shard"] for p in payloads) == list(range(SHARDS))

    def test_the_periodic_scan_stays_one_incremental_job(self, session: Session, sharded: None) -> None:
        troubled_parcels(session)
        jobs.scan(session)
        counts = jobs.scan(session)
        shard_jobs = session.scalars(select(Job).where(Job.name == "logistics.scan_shard")).all()
        assert (counts["incremental"], shard_jobs) == (1, [])

    def test_a_shard_leaves_the_pending_marks_to_the_next_incremental_scan(
        self, session: Session, sharded: None
    ) -> None:
        parcel = troubled_parcels(session)[0]
        mark_parcels(session, [parcel.id], with_siblings=False)
        shard(session, 0)
        assert session.scalars(select(ScanMark.shipment_id)).all() == [parcel.id]

    def test_the_shard_jobs_find_what_the_whole_scan_finds_and_open_a_ticket_each(
        self, session: Session, session_factory: sessionmaker[Session], sharded: None
    ) -> None:
        troubled_parcels(session)
        expected = whole_scan_findings(session)
        jobs.daily_sweep(session)
        session.commit()
        drain(session_factory)
        session.expire_all()
        tickets = session.scalars(select(Anomaly.ticket_id).where(Anomaly.ticket_id.is_not(None))).all()
        assert (findings(session), len(set(tickets))) == (expected, len(expected))

    def test_fanning_out_the_same_moment_twice_enqueues_each_shard_once(
        self, session: Session, sharded: None
    ) -> None:
        troubled_parcels(session)
        jobs.daily_sweep(session)
        jobs.daily_sweep(session)
        shard_jobs = session.scalars(select(Job).where(Job.name == "logistics.scan_shard")).all()
        assert len(shard_jobs) == SHARDS

    def test_a_shard_job_run_twice_leaves_one_finding_and_one_ticket_each(
        self, session: Session, session_factory: sessionmaker[Session], sharded: None
    ) -> None:
        troubled_parcels(session)
        first, last = service.scan_span(session, now=NOW)
        payload = {"shards": 1, "now": NOW.isoformat(), "first": first, "last": last}
        jobs.scan_shard(session, shard=0, **payload)
        jobs.scan_shard(session, shard=0, **payload)
        session.commit()
        drain(session_factory)
        session.expire_all()
        anomalies = session.scalars(select(Anomaly)).all()
        tickets = session.scalars(select(Ticket).where(Ticket.source == "logistics")).all()
        assert len(tickets) == len(anomalies) == len({(a.shipment_id, a.kind) for a in anomalies})


@pytest.mark.postgres
def test_shard_jobs_on_parallel_workers_find_what_the_whole_scan_finds(tmp_path: Path, sharded: None) -> None:
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=SHARDS + 2)
        factory = sessionmaker(bind=engine, expire_on_commit=False)
        with factory.begin() as session:
            troubled_parcels(session)
        with factory() as session:
            expected = whole_scan_findings(session)
        with factory.begin() as session:
            jobs.daily_sweep(session)
        in_parallel(lambda worker: drain(factory), SHARDS)
        with factory() as session:
            found = findings(session)
            failed = session.scalars(select(Job.name).where(Job.status != JobStatus.DONE)).all()
        engine.dispose()
    assert (found, failed) == (expected, [])
