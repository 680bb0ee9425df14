"""SIGKILL a worker in the middle of its work; after a restart nothing is lost or doubled.

The kill leaves leases behind (jobs ``running``, outbox messages ``sending``). A real restart
waits for those leases to expire (10 and 2 minutes); the tests move the lease times into the past
instead of sleeping, which is exactly what the passing of time does to these rows.
"""

import contextlib
import os
import signal
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from celery import Celery
from kombu import Connection
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from aftersales.db import make_engine
from aftersales.jobs import enqueue
from aftersales.jobs.models import Job, JobStatus
from aftersales.jobs.shards import enqueue_shards
from aftersales.kit.time import utcnow
from aftersales.messaging.jobs import MARK_EVERY
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.messaging.service import queue_message
from tests.builders import make_order, make_shop
from tests.databases import fresh_database
from tests.receiver import Receiver, receiving_server
from tests.reliability.scan_jobs import finding_key
from tests.reliability.support import start_celery_worker, start_inline_worker, stop, wait_for

MESSAGES = 400
ORDERS = 120
REDIS = "redis://127.0.0.1:6379/15"
CELERY_MESSAGES = 30  # a Celery worker starts in 3-15 s: two starts and 30 sends take 10-60 s


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving_server() as receiver:
        yield receiver


def count(engine: Engine, *where: object) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage).where(*where)) or 0  # type: ignore[arg-type]


def expire_leases(engine: Engine) -> None:
    """What ten minutes of waiting does: the dead worker's leases run out."""
    past = utcnow() - timedelta(hours=1)
    with Session(engine) as session, session.begin():
        session.execute(update(Job).where(Job.status == JobStatus.RUNNING).values(locked_at=past))
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING)
            .values(next_attempt_at=past)
        )


def kill(process) -> None:  # type: ignore[no-untyped-def]
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def kill_group(process) -> None:  # type: ignore[no-untyped-def]
    """SIGKILL a Celery worker with its pool processes, as a crashed host would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@pytest.fixture
def redis_queue() -> Iterator[str]:
    """A Celery queue of this test alone, deleted afterwards."""
    name = f"aftersales-kill-{uuid.uuid4().hex[:8]}"
    yield name
    with Connection(REDIS, connect_timeout=3) as connection, contextlib.suppress(Exception):
        connection.default_channel.queue_delete(name)


def queue_outbox_batch(engine: Engine, receiver: Receiver, keys: set[str]) -> None:
    """A webhook message per key and one delivery job for the whole batch."""
    with Session(engine) as session:
        for key in sorted(keys):
            queue_message(
                session,
                channel="webhook",
                destination=f"{receiver.url}/hook",
                payload={"k": key},
                idempotency_key=key,
            )
        enqueue(session, "messaging.deliver_outbox", dedupe_key="kill-test", batch=len(keys))
        session.commit()


def wait_until_sent(engine: Engine, total: int, *, timeout: float) -> None:
    wait_for(
        lambda: count(engine, OutboxMessage.status == OutboxStatus.SENT) == total,
        timeout=timeout,
        what="all messages sent after the restart",
    )


def assert_each_key_arrived_once(receiver: Receiver, keys: set[str]) -> None:
    """Every key arrived; at most the messages sent since the last mark (``MARK_EVERY``) twice,
    with the same key."""
    received = Counter(r.headers["Idempotency-Key"] for r in receiver.received)
    assert set(received) == keys
    assert sum(n - 1 for n in received.values()) <= MARK_EVERY


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


class TestKilledDuringOutboxDelivery:
    def test_every_message_reaches_the_receiver_once_by_idempotency_key(
        self, engine: Engine, receiver: Receiver, tmp_path: Path
    ) -> None:
        keys = {f"kill-test:{n}" for n in range(MESSAGES)}
        queue_outbox_batch(engine, receiver, keys)
        worker = start_inline_worker(url_of(engine), tmp_path / "worker.log")
        try:
            wait_for(lambda: len(receiver.received) >= MESSAGES // 4, timeout=240, what="first deliveries")
            kill(worker)
        finally:
            stop(worker)
        delivered_before_restart = len(receiver.received)
        assert delivered_before_restart < MESSAGES, "the worker finished before it could be killed"

        expire_leases(engine)
        worker = start_inline_worker(url_of(engine), tmp_path / "worker.log")
        try:
            wait_until_sent(engine, MESSAGES, timeout=240)
        finally:
            stop(worker)
        assert_each_key_arrived_once(receiver, keys)


class TestCeleryWorkerKilledDuringOutboxDelivery:
    def test_every_message_reaches_the_receiver_once_by_idempotency_key(
        self, engine: Engine, receiver: Receiver, redis_queue: str, tmp_path: Path
    ) -> None:
        keys = {f"kill-test:{n}" for n in range(CELERY_MESSAGES)}
        queue_outbox_batch(engine, receiver, keys)
        tick = Celery("probe", broker=REDIS)
        log = tmp_path / "celery.log"

        worker = start_celery_worker(url_of(engine), REDIS, redis_queue, log, beat=False)
        try:
            tick.send_task("aftersales.tick", queue=redis_queue)
            wait_for(lambda: len(receiver.received) >= 5, timeout=25, what="first deliveries")
            kill_group(worker)
        finally:
            stop(worker)
        assert len(receiver.received) < CELERY_MESSAGES, "the worker finished before it could be killed"

        expire_leases(engine)
        worker = start_celery_worker(url_of(engine), REDIS, redis_queue, log, beat=False)
        try:
            tick.send_task("aftersales.tick", queue=redis_queue)
            wait_until_sent(engine, CELERY_MESSAGES, timeout=180)
        finally:
            stop(worker)
        assert_each_key_arrived_once(receiver, keys)


class TestKilledDuringAShardedScan:
    def test_no_finding_is_lost_or_duplicated_and_each_shard_job_completes(
        self, engine: Engine, receiver: Receiver, tmp_path: Path
    ) -> None:
        with Session(engine) as session:
            shop = make_shop(session)
            order_ids = {make_order(session, shop=shop).id for _ in range(ORDERS)}
            enqueue_shards(
                session,
                "test.findings_scan",
                shards=2,
                dedupe_key="scan@1",
                url=f"{receiver.url}/f",
                delay=0.08,  # 90 findings after the kill's cue take 7 s: a loaded CI host polls late
            )
            session.commit()
        expected = {finding_key(i) for i in order_ids}

        worker = start_inline_worker(url_of(engine), tmp_path / "worker.log")
        try:
            wait_for(
                lambda: count(engine, OutboxMessage.idempotency_key.like("test-finding:%")) >= 30,
                timeout=60,
                what="a scan in progress",
            )
            kill(worker)
        finally:
            stop(worker)
        assert count(engine, OutboxMessage.idempotency_key.like("test-finding:%")) < ORDERS

        expire_leases(engine)
        with Session(engine) as session:
            enqueue(
                session,
                "messaging.deliver_outbox",
                dedupe_key="deliver-after-scan",
                batch=1000,
                run_at=utcnow() + timedelta(seconds=3),
            )
            session.commit()
        worker = start_inline_worker(url_of(engine), tmp_path / "worker.log")
        try:
            wait_for(
                lambda: count(engine, OutboxMessage.status == OutboxStatus.SENT) == ORDERS,
                timeout=120,
                what="scan rerun and findings delivered",
            )
        finally:
            stop(worker)

        with Session(engine) as session:
            keys = set(session.scalars(select(OutboxMessage.idempotency_key)))
            results = [j.result for j in session.scalars(select(Job).where(Job.name == "test.findings_scan"))]
        assert keys == expected
        assert sorted(r["findings"] for r in results if r) == sorted(r["orders"] for r in results if r)
        assert sum(r["findings"] for r in results if r) == ORDERS
        received = Counter(r.headers["Idempotency-Key"] for r in receiver.received)
        assert set(received) == expected
        assert max(received.values()) == 1
