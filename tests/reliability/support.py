"""Helpers for tests that need real processes: a committed database, worker subprocesses, waiting."""

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# The key the servers of these tests sign with, so a test can sign a portal session for them.
SERVER_SECRET_KEY = secrets.token_hex(32)


@contextmanager
def running_server(database_url: str, log: Path, *, jobs: bool = True) -> Iterator[str]:
    """``aftersales serve`` as a shop runs it (in-process jobs included) on a free local port;
    yields its base URL and stops it afterwards."""
    port = free_port()
    args = [sys.executable, "-m", "aftersales.cli", "serve", "--port", str(port)]
    env = subprocess_env(database_url, AFTERSALES_SECRET_KEY=SERVER_SECRET_KEY)
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*args, "--jobs" if jobs else "--no-jobs"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(base, process), timeout=240, what=f"the server (log: {log})", every=0.3)
        yield base
    finally:
        stop(process)


def _healthy(base: str, process: subprocess.Popen[bytes]) -> bool:
    if process.poll() is not None:
        raise AssertionError(f"the server exited with {process.returncode}")
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
