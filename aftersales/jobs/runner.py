"""Claims due jobs and runs them: each job's work and its "done" mark commit in one transaction.

Jobs never commit; the runner does. A job that works in batches (declared ``checkpoints=True``)
gets a ``checkpoint`` from ``_execute``: each call commits the batches done so far, so a failure
afterwards rolls back only the unfinished batch and the retry picks up from there. The embedded
loop and the Celery task both run jobs through ``run_job``, so both give it.

A worker holds a job by its lease (``locked_by`` + ``locked_at``). The lease is renewed just before
the job starts, and the job is only finished by the worker that still holds it: when a slow worker's
lease expired and another worker reclaimed the job, the slow worker's work is rolled back.
"""

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
CLAIM_BATCH = 5
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


class LeaseLostError(Exception):
    """Another worker reclaimed the job after this worker's lease expired."""


def renew_lease(factory: sessionmaker[Session], job_id: int, *, worker_id: str) -> bool:
    """Restart the lease clock of a job this worker holds; False when the job was taken over."""
    with factory.begin() as session:
        return _hold(session, job_id, worker_id=worker_id, locked_at=utcnow())


def _hold(session: Session, job_id: int, *, worker_id: str, **values: Any) -> bool:
    """Update the job only while ``worker_id`` holds its lease (the row lock serialises the check)."""
    held = (Job.id == job_id) & (Job.locked_by == worker_id) & (Job.status == JobStatus.RUNNING)
    result = session.execute(
        update(Job).where(held).values(**values).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _execute(session: Session, job_id: int, worker_id: str) -> None:
    job = session.get(Job, job_id)
    assert job is not None
    spec = get_spec(job.name)
    checkpoint = {"checkpoint": session.commit} if spec.checkpoints else {}
    result = spec.func(session, **job.payload, **checkpoint)
    finished = {"status": JobStatus.DONE, "result": result, "finished_at": utcnow(), "last_error": None}
    if not _hold(session, job_id, worker_id=worker_id, **finished):
        raise LeaseLostError(job_id)


def _record_failure(session: Session, job_id: int, error: str, worker_id: str) -> None:
    job = session.get(Job, job_id)
    assert job is not None
    failure: dict[str, Any] = {"last_error": error[-4000:]}
    if job.attempts >= job.max_attempts:
        failure.update(status=JobStatus.FAILED, finished_at=utcnow())
    else:
        failure.update(status=JobStatus.QUEUED, run_at=utcnow() + backoff(job.attempts))
    _hold(session, job_id, worker_id=worker_id, **failure)


def run_job(factory: sessionmaker[Session], job_id: int, *, worker_id: str = WORKER_ID) -> bool:
    """Run one job claimed by ``worker_id``; True when it succeeded and was still this worker's."""
    session = factory()
    try:
        _execute(session, job_id, worker_id)
        session.commit()
        return True
    except LeaseLostError:
        session.rollback()
        log.warning("job %s was taken over by another worker; its work here is rolled back", job_id)
        return False
    except Exception:
        session.rollback()
        log.exception("job %s failed", job_id)
        _record_failure(session, job_id, traceback.format_exc(), worker_id)
        session.commit()
        return False
    finally:
        session.close()


def run_pending(
    factory: sessionmaker[Session], *, limit: int = 50, worker_id: str = WORKER_ID
) -> dict[str, Any]:
    """Claim and run what is due now, a few jobs per claim so that no lease waits behind a long
    batch; each lease is renewed right before its job runs. Returns counts for logs and the CLI."""
    claimed = ok = 0
    while claimed < limit:
        with factory.begin() as session:
            ids = claim(session, limit=min(CLAIM_BATCH, limit - claimed), worker_id=worker_id)
        if not ids:
            break
        claimed += len(ids)
        ok += sum(_run_held(factory, job_id, worker_id) for job_id in ids)
    return {"claimed": claimed, "succeeded": ok, "failed": claimed - ok}


def _run_held(factory: sessionmaker[Session], job_id: int, worker_id: str) -> bool:
    if not renew_lease(factory, job_id, worker_id=worker_id):
        log.warning("job %s was taken over by another worker before it started here", job_id)
        return False
    return run_job(factory, job_id, worker_id=worker_id)


def drain(factory: sessionmaker[Session], *, max_rounds: int = 100) -> int:
    """Run jobs until none is due (jobs may enqueue jobs). Used by the CLI and tests."""
    total = 0
    for _ in range(max_rounds):
        done = run_pending(factory)["claimed"]
        total += done
        if not done:
            break
    return total
