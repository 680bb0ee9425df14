"""Claims due jobs and runs them: each job's work and its "done" mark commit in one transaction."""

import logging
import os
import socket
import traceback
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from aftersales.jobs.models import Job, JobStatus
from aftersales.jobs.registry import enqueue, get_spec, periodic_specs
from aftersales.kit.time import utcnow

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 5 * 2 ** max(0, attempts - 1)))


def schedule_periodic(session: Session) -> int:
    """Enqueue each periodic job once per time slot; safe to call from many processes."""
    now = utcnow()
    count = 0
    for spec in periodic_specs():
        assert spec.every is not None
        slot = int(now.timestamp() // spec.every.total_seconds())
        enqueue(session, spec.name, dedupe_key=f"{spec.name}@{slot}")
        count += 1
    return count


def claim(
    session: Session, *, limit: int, worker_id: str = WORKER_ID, job_id: int | None = None
) -> list[int]:
    """Mark up to ``limit`` due jobs as running; stale leases from dead workers are reclaimed."""
    now = utcnow()
    due = or_(
        (Job.status == JobStatus.QUEUED) & (Job.run_at <= now),
        (Job.status == JobStatus.RUNNING) & (Job.locked_at < now - LEASE),
    )
    query = select(Job.id).where(due).order_by(Job.run_at).limit(limit)
    if job_id is not None:
        query = query.where(Job.id == job_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    ids = list(session.scalars(query))
    if ids:
        session.execute(
            update(Job)
            .where(Job.id.in_(ids))
            .values(status=JobStatus.RUNNING, locked_by=worker_id, locked_at=now, attempts=Job.attempts + 1)
        )
    return ids


def _execute(session: Session, job_id: int) -> None:
    job = session.get(Job, job_id)
    assert job is not None
    result = get_spec(job.name).func(session, **job.payload)
    job.status = JobStatus.DONE
    job.result = result
    job.finished_at = utcnow()
    job.last_error = None


def _record_failure(session: Session, job_id: int, error: str) -> None:
    job = session.get(Job, job_id)
    assert job is not None
    job.last_error = error[-4000:]
    if job.attempts >= job.max_attempts:
        job.status = JobStatus.FAILED
        job.finished_at = utcnow()
    else:
        job.status = JobStatus.QUEUED
        job.run_at = utcnow() + backoff(job.attempts)


def run_job(factory: sessionmaker[Session], job_id: int) -> bool:
    """Run one claimed job; True when it succeeded."""
    session = factory()
    try:
        _execute(session, job_id)
        session.commit()
        return True
    except Exception:
        session.rollback()
        log.exception("job %s failed", job_id)
        _record_failure(session, job_id, traceback.format_exc())
        session.commit()
        return False
    finally:
        session.close()


def run_pending(
    factory: sessionmaker[Session], *, limit: int = 50, worker_id: str = WORKER_ID
) -> dict[str, Any]:
    """Claim and run what is due now. Returns counts for logs and the CLI."""
    with factory.begin() as session:
        ids = claim(session, limit=limit, worker_id=worker_id)
    ok = sum(run_job(factory, job_id) for job_id in ids)
    return {"claimed": len(ids), "succeeded": ok, "failed": len(ids) - ok}


def drain(factory: sessionmaker[Session], *, max_rounds: int = 100) -> int:
    """Run jobs until none is due (jobs may enqueue jobs). Used by the CLI and tests."""
    total = 0
    for _ in range(max_rounds):
        done = run_pending(factory)["claimed"]
        total += done
        if not done:
            break
    return total
