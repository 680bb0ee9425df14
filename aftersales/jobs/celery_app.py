"""Celery carries job ids for the ``celery`` backend; the job rows stay the source of truth."""

from typing import Any

from celery import Celery

from aftersales.config import get_settings

celery_app = Celery("aftersales", broker=get_settings().broker_url)
celery_app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_connection_retry_on_startup=True,
    beat_schedule={"aftersales.tick": {"task": "aftersales.tick", "schedule": 15.0}},
)


def notify_new_jobs() -> None:
    if get_settings().job_backend == "celery":
        celery_app.send_task("aftersales.tick")


@celery_app.task(name="aftersales.tick")
def tick() -> dict[str, Any]:
    """Schedule periodic jobs and run what is due; many workers may tick at once (leases, SKIP LOCKED)."""
    from aftersales.db import get_sessionmaker
    from aftersales.jobs.runner import run_pending, schedule_periodic

    factory = get_sessionmaker()
    with factory.begin() as session:
        schedule_periodic(session)
    return run_pending(factory)
