"""Background work: a durable job table, a registry of job functions, and two ways to run them.

The embedded default runs jobs in-process from the ``jobs`` table; ``job_backend=celery`` hands
the same job ids to Celery workers. Job functions are identical in both cases.
"""

from aftersales.jobs.registry import Checkpoint, enqueue, job

__all__ = ["Checkpoint", "enqueue", "job"]
