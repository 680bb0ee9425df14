"""The two ways ``aftersales worker`` runs jobs: Celery (production, many machines) or a polling
loop over the jobs table (embedded default, one machine). Both call ``runner.run_pending``.
"""

import logging
import tempfile
import time
from pathlib import Path

log = logging.getLogger("aftersales.jobs")


def celery_argv(
    *, concurrency: int, beat: bool, queue: str | None = None, schedule_file: Path | None = None
) -> list[str]:
    """Arguments for ``celery worker``: late acks and one prefetch are set on the app itself."""
    argv = ["worker", f"--concurrency={concurrency}", "--loglevel=INFO"]
    if queue:
        argv.append(f"--queues={queue}")
    if beat:
        path = schedule_file or Path(tempfile.gettempdir()) / f"aftersales-celerybeat-{queue or 'celery'}"
        argv += ["--beat", f"--schedule={path}"]
    return argv


def run_celery(
    *, concurrency: int, beat: bool, queue: str | None = None, schedule_file: Path | None = None
) -> None:
    """Start a Celery worker; ``queue`` also becomes the queue beat and this process send to."""
    from aftersales.jobs.celery_app import celery_app
    from aftersales.kit.logmask import install as mask_phone_numbers_in_logs

    mask_phone_numbers_in_logs()
    if queue:
        celery_app.conf.task_default_queue = queue
    celery_app.worker_main(
        celery_argv(concurrency=concurrency, beat=beat, queue=queue, schedule_file=schedule_file)
    )


def run_inline(*, poll_seconds: float = 2.0, max_idle_polls: int | None = None) -> None:
    """Poll the jobs table. ``max_idle_polls`` stops after that many empty polls (tests, cron)."""
    from aftersales.db import get_sessionmaker
    from aftersales.jobs.runner import run_pending, schedule_periodic
    from aftersales.kit.logmask import install as mask_phone_numbers_in_logs

    mask_phone_numbers_in_logs()
    factory = get_sessionmaker()
    idle = 0
    while max_idle_polls is None or idle < max_idle_polls:
        try:
            with factory.begin() as session:
                schedule_periodic(session)
            if run_pending(factory)["claimed"]:
                idle = 0
                continue
        except Exception:
            log.exception("job loop error; retrying")
        idle += 1
        time.sleep(poll_seconds)
