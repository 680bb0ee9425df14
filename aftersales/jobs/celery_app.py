"""Celery carries job ids for the ``celery`` backend; the job rows stay the source of truth.

A worker never trusts the message: ``aftersales.tick`` claims due rows (leases, ``SKIP LOCKED`` on
PostgreSQL) and runs them with the same functions as the embedded runner, so a lost, duplicated
or late message changes nothing. Beat only sends ``aftersales.tick`` on a fixed interval; the
periodic jobs themselves are enqueued once per time slot by ``schedule_periodic``.
"""

from typing import Any

from celery import Celery
from celery.signals import worker_init, worker_process_init

from aftersales.config import get_settings

TICK_SECONDS = 15.0

celery_app = Celery("aftersales", broker=get_settings().broker_url)
celery_app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    beat_schedule={"aftersales.tick": {"task": "aftersales.tick", "schedule": TICK_SECONDS}},
)


def notify_new_jobs() -> None:
    """Wake a worker after a commit that enqueued jobs; beat's tick is the safety net if this is lost."""
    if get_settings().job_backend == "celery":
        celery_app.send_task("aftersales.tick")


@worker_init.connect
def _refuse_public_key(**_: Any) -> None:
    """``celery -A aftersales.jobs.celery_app worker`` started by hand gets the same check as ``serve``."""
    get_settings().require_private_key()


@worker_process_init.connect
def _fresh_connections_after_fork(**_: Any) -> None:
    """A forked pool process must not share the parent's database sockets."""
    from aftersales.db import get_engine

    get_engine().dispose(close=False)


@celery_app.task(name="aftersales.tick")
def tick() -> dict[str, Any]:
    """Schedule periodic jobs and run what is due; many workers may tick at once (leases, SKIP LOCKED)."""
    from aftersales.db import get_sessionmaker
    from aftersales.jobs.runner import run_pending, schedule_periodic

    factory = get_sessionmaker()
    with factory.begin() as session:
        schedule_periodic(session)
    return run_pending(factory)
