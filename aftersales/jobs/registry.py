"""Job registry and enqueueing. Jobs are named ``"domain.action"`` and take keyword payloads."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from aftersales.jobs.models import Job, JobStatus
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore

JobFunc = Callable[..., dict[str, Any] | None]
# Given by the runner to a job declared with ``checkpoints=True``: commits the work done so far
# (a batch) and lets the job go on; a later failure rolls back only what came after it.
Checkpoint = Callable[[], None]


@dataclass(frozen=True)
class JobSpec:
    name: str
    func: JobFunc
    every: timedelta | None
    max_attempts: int
    checkpoints: bool = False


_registry: dict[str, JobSpec] = {}


def job(
    name: str, *, every: timedelta | None = None, max_attempts: int = 5, checkpoints: bool = False
) -> Callable[[JobFunc], JobFunc]:
    """Register ``func(session, **payload)``; ``every`` declares it periodic beside its code.

    A job never commits: the runner commits its work with its "done" mark. A job that works in
    batches and must keep each finished batch (``checkpoints=True``) is called with
    ``checkpoint``, a ``Checkpoint`` that commits the batch."""

    def register(func: JobFunc) -> JobFunc:
        _registry[name] = JobSpec(name, func, every, max_attempts, checkpoints)
        return func

    return register


def get_spec(name: str) -> JobSpec:
    load_job_modules()
    try:
        return _registry[name]
    except KeyError:
        raise LookupError(f"unknown job {name!r}") from None


def periodic_specs() -> list[JobSpec]:
    load_job_modules()
    return [spec for spec in _registry.values() if spec.every is not None]


def load_job_modules() -> None:
    """Import every domain's jobs module so that its ``@job`` declarations register, and the
    domain-event handlers: a job that ingests (tracking, orders) must trigger the same reactions
    as the API does (e.g. the logistics scan's marks of changed parcels)."""
    from aftersales.registry import import_domain_modules

    import_domain_modules("jobs")
    import_domain_modules("handlers")


def enqueue(
    session: Session,
    name: str,
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    **payload: Any,
) -> None:
    """Add a job in the caller's transaction: it exists only if that transaction commits.

    ``dedupe_key`` makes enqueueing idempotent (a second enqueue with the same key is ignored).
    """
    spec = get_spec(name)
    row = {
        "name": name,
        "payload": payload,
        "status": JobStatus.QUEUED,
        "dedupe_key": dedupe_key,
        "run_at": run_at or utcnow(),
        "attempts": 0,
        "max_attempts": spec.max_attempts,
        "created_at": utcnow(),
    }
    insert_ignore(session, Job, [row], conflict_columns=["dedupe_key"])
    session.info.setdefault("jobs_enqueued", 0)
    session.info["jobs_enqueued"] += 1


@event.listens_for(Session, "after_commit")
def _notify_broker(session: Session) -> None:
    """With the Celery backend, wake a worker after commit; rollback drops the job with its row."""
    if session.info.pop("jobs_enqueued", 0):
        from aftersales.jobs.celery_app import notify_new_jobs

        notify_new_jobs()


@event.listens_for(Session, "after_rollback")
def _forget_enqueued(session: Session) -> None:
    session.info.pop("jobs_enqueued", None)
