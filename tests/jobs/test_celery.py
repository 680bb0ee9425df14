"""``aftersales worker`` on Celery, for real: a worker subprocess on Redis and on RabbitMQ at
127.0.0.1 runs the same job functions against a committed database.
"""

import contextlib
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery
from kombu import Connection
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from aftersales.db import make_engine
from aftersales.jobs import enqueue
from aftersales.jobs.models import Job, JobStatus
from aftersales.messaging.service import queue_message
from tests.databases import fresh_database
from tests.receiver import Receiver, receiving_server
from tests.reliability.support import start_celery_worker, stop, wait_for

BROKERS = {
    "redis": "redis://127.0.0.1:6379/15",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
}
MESSAGES = 20


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


@pytest.fixture
def queue_name(request: pytest.FixtureRequest) -> Iterator[str]:
    """A queue of this test alone, deleted afterwards, so parallel runs never steal each other's ticks."""
    name = f"aftersales-test-{uuid.uuid4().hex[:8]}"
    yield name
    for url in BROKERS.values():
        with Connection(url, connect_timeout=3) as connection:
            with contextlib.suppress(Exception):  # the queue exists only on the broker the test used
                connection.default_channel.queue_delete(name)


def start_worker(
    engine: Engine, broker: str, queue: str, log: Path, *, beat: bool
) -> subprocess.Popen[bytes]:
    return start_celery_worker(
        engine.url.render_as_string(hide_password=False), broker, queue, log, beat=beat
    )


def queue_deliveries(engine: Engine, receiver: Receiver) -> None:
    with Session(engine) as session:
        for n in range(MESSAGES):
            queue_message(
                session,
                channel="webhook",
                destination=receiver.url,
                payload={"n": n},
                idempotency_key=f"celery:{n}",
            )
        session.commit()


def delivered(receiver: Receiver) -> set[str]:
    return {r.headers["Idempotency-Key"] for r in receiver.received}


@pytest.mark.parametrize("broker", BROKERS)
def test_worker_runs_a_queued_job_when_ticked_through_the_broker(
    engine: Engine, receiver: Receiver, queue_name: str, tmp_path: Path, broker: str
) -> None:
    queue_deliveries(engine, receiver)
    with Session(engine) as session:
        enqueue(session, "messaging.deliver_outbox", dedupe_key="celery-test")
        session.commit()
    worker = start_worker(engine, BROKERS[broker], queue_name, tmp_path / "worker.log", beat=False)
    try:
        Celery("probe", broker=BROKERS[broker]).send_task("aftersales.tick", queue=queue_name)
        wait_for(lambda: len(delivered(receiver)) == MESSAGES, timeout=90, what=f"delivery via {broker}")
    finally:
        stop(worker)
    with Session(engine) as session:
        job = session.scalars(select(Job).where(Job.dedupe_key == "celery-test")).one()
    assert (job.status, job.result) == (JobStatus.DONE, {"claimed": MESSAGES, "sent": MESSAGES, "expired": 0})


def test_beat_runs_periodic_jobs_without_any_tick_being_sent(
    engine: Engine, receiver: Receiver, queue_name: str, tmp_path: Path
) -> None:
    queue_deliveries(engine, receiver)
    worker = start_worker(engine, BROKERS["redis"], queue_name, tmp_path / "worker.log", beat=True)
    try:
        wait_for(
            lambda: len(delivered(receiver)) == MESSAGES, timeout=120, what="beat-driven outbox delivery"
        )
    finally:
        stop(worker)
    assert delivered(receiver) == {f"celery:{n}" for n in range(MESSAGES)}
