"""Helpers for tests that need real processes: a committed database, worker subprocesses, waiting."""

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def subprocess_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "AFTERSALES_DATABASE_URL": database_url, "PYTHONPATH": str(ROOT), **extra}
    env.pop("AFTERSALES_TEST_DATABASE_URL", None)
    return env


def start_inline_worker(database_url: str, log: Path) -> subprocess.Popen[bytes]:
    """``tests.reliability.worker_proc``: the inline runner with this suite's test jobs registered."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.reliability.worker_proc"],
            cwd=ROOT,
            env=subprocess_env(database_url),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def start_celery_worker(
    database_url: str, broker: str, queue: str, log: Path, *, beat: bool
) -> subprocess.Popen[bytes]:
    """``aftersales worker`` on Celery (one pool process) in its own process group, so that a test
    can SIGKILL the whole worker, pool included, as a crashed host would."""
    env = subprocess_env(database_url, AFTERSALES_BROKER_URL=broker, AFTERSALES_JOB_BACKEND="celery")
    args = [sys.executable, "-m", "aftersales.cli", "worker", "--concurrency", "1", "--queue", queue]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*args, "--beat" if beat else "--no-beat"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
