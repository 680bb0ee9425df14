"""Issue 20: cold start, the time a person waits before the first thing happens.

* ``aftersales --help``: a fresh interpreter importing the command line (every domain's commands
  and event handlers) and printing its help; beside it, from the same run, a bare interpreter
  (``python -c pass``), the floor no import work can go below;
* server ready: ``uvicorn aftersales.api:create_app`` with one worker on a migrated SQLite
  database, from the process start until ``/healthz`` answers.

Medians of three; wall time and the CPU the child used (wall waits for a shared CPU, CPU does
not).
"""

import os
import resource
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.figures import Figure, free_port, scratch_sqlite, wait_healthy

ROOT = Path(__file__).resolve().parents[1]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(action: Callable[[], None], repeats: int = 3) -> tuple[float, float]:
    """Median wall seconds and median child CPU seconds of ``action``."""
    walls, cpus = [], []
    for _ in range(repeats):
        cpu, started = _children_cpu(), time.perf_counter()
        action()
        walls.append(time.perf_counter() - started)
        cpus.append(_children_cpu() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def _run(*args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, capture_output=True)


def _server_ready(url: str) -> None:
    env = {**os.environ, "AFTERSALES_DATABASE_URL": url, "AFTERSALES_LOG_LEVEL": "WARNING"}
    env.setdefault("AFTERSALES_SECRET_KEY", secrets.token_urlsafe(32))
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "aftersales.api:create_app", "--factory"]
    command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, timeout=60)
    finally:
        process.terminate()
        process.wait(timeout=30)


def run(full: bool) -> list[Figure]:
    load = f"load avg {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    bare_wall, bare_cpu = _timed(lambda: _run("-c", "pass"))
    help_wall, help_cpu = _timed(lambda: _run("-m", "aftersales.cli", "--help"))
    with scratch_sqlite() as url:
        ready_wall, ready_cpu = _timed(lambda: _server_ready(url))
    return [
        Figure("aftersales --help, fresh process", help_wall, "s", "< 1 s", f"{help_cpu:.2f} s CPU; {load}"),
        Figure("  baseline: bare interpreter (python -c pass)", bare_wall, "s", "", f"{bare_cpu:.2f} s CPU"),
        Figure(
            "server ready (/healthz answers), 1 worker", ready_wall, "s", "< 3 s", f"{ready_cpu:.2f} s CPU"
        ),
    ]
