from datetime import timedelta
from typing import Any

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.catalog.models import Shop
from aftersales.jobs import Checkpoint, enqueue, job
from aftersales.jobs.models import Job, JobStatus
from aftersales.jobs.runner import LEASE, claim, drain, run_job, run_pending, schedule_periodic
from aftersales.kit.time import utcnow
from tests.builders import make_shop

calls: list[dict[str, Any]] = []


@job("test.record")
def record(session: Session, **payload: Any) -> dict[str, Any]:
    calls.append(payload)
    return {"seen": len(calls)}


@job("test.explode", max_attempts=2)
def explode(session: Session) -> None:
    raise RuntimeError("boom")


@job("test.two_batches", max_attempts=2, checkpoints=True)
def two_batches(session: Session, *, checkpoint: Checkpoint, fail: bool) -> dict[str, int]:
    """Two batches of shops with a checkpoint between them; ``fail`` breaks the second batch."""
    make_shop(session, code="batch-1")
    checkpoint()
    make_shop(session, code="batch-2")
    if fail:
        raise RuntimeError("second batch failed")
    return {"batches": 2}


def shop_codes(session: Session) -> set[str]:
    session.expire_all()
    return set(session.scalars(select(Shop.code).where(Shop.code.like("batch-%"))))


clock: list[time_machine.Traveller] = []


@job("test.outlast_lease")
def outlast_lease(session: Session) -> None:
    clock[0].shift(LEASE + timedelta(minutes=1))


def jobs(session: Session) -> list[Job]:
    session.expire_all()
    return list(session.scalars(select(Job).order_by(Job.id)))


class TestJobRunner:
    def test_enqueued_job_runs_and_is_marked_done(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        calls.clear()
        enqueue(session, "test.record", ticket_id=7)
        session.commit()
        assert run_pending(session_factory) == {"claimed": 1, "succeeded": 1, "failed": 0}
        assert calls == [{"ticket_id": 7}]
        assert jobs(session)[0].status == JobStatus.DONE

    def test_job_enqueued_in_a_rolled_back_transaction_never_exists(self, session: Session) -> None:
        enqueue(session, "test.record")
        session.rollback()
        assert jobs(session) == []

    def test_same_dedupe_key_enqueues_once(self, session: Session) -> None:
        enqueue(session, "test.record", dedupe_key="scan@1")
        enqueue(session, "test.record", dedupe_key="scan@1")
        assert len(jobs(session)) == 1

    def test_failing_job_is_retried_later_then_marked_failed(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        enqueue(session, "test.explode")
        session.commit()
        run_pending(session_factory)
        first = jobs(session)[0]
        assert (first.status, first.attempts) == (JobStatus.QUEUED, 1)
        assert first.run_at > utcnow()
        assert "boom" in (first.last_error or "")
        with time_machine.travel(utcnow() + timedelta(minutes=5)):
            run_pending(session_factory)
        assert jobs(session)[0].status == JobStatus.FAILED

    def test_job_of_a_dead_worker_is_reclaimed_after_its_lease(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        calls.clear()
        session.add(
            Job(
                name="test.record",
                payload={},
                status=JobStatus.RUNNING,
                locked_at=utcnow() - timedelta(hours=1),
                attempts=1,
                max_attempts=5,
            )
        )
        session.commit()
        assert drain(session_factory) == 1
        assert calls == [{}]

    def test_periodic_jobs_are_scheduled_once_per_slot(self, session: Session) -> None:
        schedule_periodic(session)
        first = len(jobs(session))
        schedule_periodic(session)
        assert first >= 1
        assert len(jobs(session)) == first


def reclaimed_from_a_slow_worker(session: Session) -> int:
    """A job claimed by "slow" whose lease expired and that "fast" then claimed."""
    enqueue(session, "test.record")
    session.commit()
    [job_id] = claim(session, limit=1, worker_id="slow")
    session.commit()
    with time_machine.travel(utcnow() + LEASE + timedelta(minutes=1)):
        claim(session, limit=1, worker_id="fast")
        session.commit()
    return job_id


class TestCheckpoints:
    def test_failure_after_a_checkpoint_keeps_the_batches_before_it(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        enqueue(session, "test.two_batches", fail=True)
        session.commit()
        assert run_pending(session_factory)["failed"] == 1
        assert shop_codes(session) == {"batch-1"}

    def test_failed_job_is_retried_after_its_kept_batches(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        enqueue(session, "test.two_batches", fail=True)
        session.commit()
        run_pending(session_factory)
        assert (jobs(session)[0].status, jobs(session)[0].attempts) == (JobStatus.QUEUED, 1)

    def test_job_without_failure_commits_every_batch_with_its_done_mark(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        enqueue(session, "test.two_batches", fail=False)
        session.commit()
        run_pending(session_factory)
        assert (shop_codes(session), jobs(session)[0].result) == ({"batch-1", "batch-2"}, {"batches": 2})


class TestLeases:
    def test_lease_is_renewed_before_each_job_of_a_claimed_batch(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        enqueue(session, "test.outlast_lease")
        enqueue(session, "test.record")
        session.commit()
        with time_machine.travel(utcnow(), tick=False) as traveller:
            clock[:] = [traveller]
            started = utcnow()
            run_pending(session_factory)
        second = jobs(session)[1]
        assert second.locked_at is not None
        assert second.locked_at > started + LEASE

    def test_job_reclaimed_after_an_expired_lease_is_not_finished_by_the_first_worker(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        calls.clear()
        job_id = reclaimed_from_a_slow_worker(session)
        assert run_job(session_factory, job_id, worker_id="slow") is False
        reclaimed = jobs(session)[0]
        assert (reclaimed.status, reclaimed.locked_by) == (JobStatus.RUNNING, "fast")

    def test_job_reclaimed_after_an_expired_lease_is_finished_by_its_new_worker(
        self, session: Session, session_factory: sessionmaker[Session]
    ) -> None:
        job_id = reclaimed_from_a_slow_worker(session)
        run_job(session_factory, job_id, worker_id="slow")
        assert run_job(session_factory, job_id, worker_id="fast") is True
        assert jobs(session)[0].status == JobStatus.DONE
