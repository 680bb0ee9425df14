"""Several workers on one PostgreSQL database never run the same job or send the same message twice.

Each worker is a thread with its own connection pool against a committed database (not the
rolled-back test transaction), so the row locks and ``SKIP LOCKED`` claims are real.
"""

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.db import make_engine
from aftersales.jobs import enqueue, job, runner
from aftersales.jobs.models import Job, JobStatus
from aftersales.jobs.runner import drain, run_pending
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.service import queue_message
from tests.databases import fresh_database
from tests.receiver import receiving_server

pytestmark = pytest.mark.postgres

JOBS = 120
WORKERS = 3
runs: list[int] = []
runs_lock = threading.Lock()


@job("test.count_run")
def count_run(session: Session, *, n: int) -> dict[str, Any]:
    time.sleep(0.002)
    with runs_lock:
        runs.append(n)
    return {"n": n}


SHORT_LEASE = timedelta(seconds=0.5)


@job("test.outlive_lease")
def outlive_lease(session: Session) -> None:
    """Commits one child job; runs longer than the (shortened) lease."""
    enqueue(session, "test.count_run", n=-1)
    time.sleep(2 * SHORT_LEASE.total_seconds())


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=WORKERS + 2)
        yield engine
        engine.dispose()


def in_parallel(target: Any, count: int) -> None:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(worker: int) -> None:
        barrier.wait()
        try:
            target(worker)
        except BaseException as exc:  # reported to the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_concurrent_workers_run_each_job_exactly_once(engine: Engine) -> None:
    runs.clear()
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory.begin() as session:
        for n in range(JOBS):
            enqueue(session, "test.count_run", n=n)
    in_parallel(lambda worker: drain(factory), WORKERS)
    assert sorted(Counter(runs).items()) == [(n, 1) for n in range(JOBS)]
    with factory() as session:
        statuses = Counter(session.scalars(select(Job.status).where(Job.name == "test.count_run")))
    assert statuses == {JobStatus.DONE: JOBS}


def test_concurrent_deliveries_send_each_outbox_message_once(engine: Engine) -> None:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with receiving_server() as receiver:
        with factory.begin() as session:
            for n in range(JOBS):
                queue_message(
                    session,
                    channel="webhook",
                    destination=receiver.url,
                    payload={"n": n},
                    idempotency_key=f"parallel:{n}",
                )

        def deliver(worker: int) -> None:
            while True:
                with factory() as session:
                    if not deliver_outbox(session, checkpoint=session.commit, batch=10)["claimed"]:
                        return

        in_parallel(deliver, WORKERS)
        keys = Counter(r.headers["Idempotency-Key"] for r in receiver.received)
    assert keys == Counter({f"parallel:{n}": 1 for n in range(JOBS)})


def test_job_reclaimed_from_a_slow_worker_commits_its_work_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "LEASE", SHORT_LEASE)
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    with factory.begin() as session:
        enqueue(session, "test.outlive_lease")

    def work(worker: int) -> None:
        time.sleep(worker * 1.5 * SHORT_LEASE.total_seconds())
        run_pending(factory, worker_id=f"worker-{worker}")

    in_parallel(work, 2)
    with factory() as session:
        parent = session.scalars(select(Job).where(Job.name == "test.outlive_lease")).one()
        children = session.scalars(select(Job).where(Job.name == "test.count_run")).all()
    assert (parent.status, parent.locked_by, len(children)) == (JobStatus.DONE, "worker-1", 1)
