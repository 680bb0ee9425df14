import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    goal: str = ""
    note: str = ""


def median_seconds(action: Callable[[], object], *, repeats: int = 3) -> float:
    """Median wall time of ``repeats`` runs: the machines are noisy."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


@contextmanager
def scratch_sqlite() -> Iterator[str]:
    """A migrated SQLite database in a temporary directory."""
    from aftersales.migrate import upgrade

    with TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        yield url


def format_value(value: float) -> str:
    """Thousands separators; two decimals only where they carry information."""
    if value != value:  # NaN: the benchmark failed
        return "—"
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"
