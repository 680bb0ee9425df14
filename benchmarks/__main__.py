"""Run every ``benchmarks/bench_*.py`` and print one table of figures with the goal beside each.

Default sizes are scaled down so that the whole run stays under 10 minutes on a 2-core machine;
``--full`` uses the sizes the issues name. A benchmark that raises is reported as a row and the
run goes on: one broken script must not hide everyone else's figures. Each benchmark runs in its
own interpreter (settings, engines and environment changes of one cannot leak into the next);
its figures come back as JSON on the last line of its output.
"""

import argparse
import dataclasses
import importlib
import json
import pkgutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.figures import Figure, format_value

BUDGET_SECONDS = 600


def discover() -> list[str]:
    here = str(Path(__file__).parent)
    return sorted(
        m.name.removeprefix("bench_") for m in pkgutil.iter_modules([here]) if m.name.startswith("bench_")
    )


def run_one(short: str, *, full: bool, console: Console) -> tuple[list[Figure], float]:
    started = time.perf_counter()
    console.print(f"[bold]{short}[/] …")
    command = [sys.executable, "-m", "benchmarks", "--child", short] + (["--full"] if full else [])
    result = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).parent.parent)
    lines = result.stdout.strip().splitlines()
    try:
        figures = [Figure(**f) for f in json.loads(lines[-1])]
    except (IndexError, ValueError, TypeError):
        console.print(result.stdout[-3000:], result.stderr[-3000:], style="red")
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        figures = [Figure("FAILED", float("nan"), "", note=f"exit {result.returncode}: {last}"[:200])]
    elapsed = time.perf_counter() - started
    console.print(f"  done in {elapsed:.1f}s")
    return figures, elapsed


def child(short: str, *, full: bool) -> None:
    """Run one benchmark in this interpreter; print its figures as JSON on the last line."""
    try:
        figures: list[Figure] = importlib.import_module(f"benchmarks.bench_{short}").run(full=full)
    except Exception as exc:
        traceback.print_exc()
        figures = [Figure("FAILED", float("nan"), "", note=f"{type(exc).__name__}: {exc}"[:200])]
    print(json.dumps([dataclasses.asdict(f) for f in figures], ensure_ascii=False))


def main() -> None:
    parser = argparse.ArgumentParser(description="Run every benchmark and print one table of figures.")
    parser.add_argument("--full", action="store_true", help="full sizes named in the issues (slow)")
    parser.add_argument("--only", action="append", help="run only these benchmarks (e.g. import_orders)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, full=args.full)
        return
    console = Console(width=200)
    names = [n for n in discover() if not args.only or n in args.only]
    table = Table("benchmark", "figure", "value", "unit", "goal", "note", title="aftersales figures")
    started = time.perf_counter()
    for short in names:
        figures, elapsed = run_one(short, full=args.full, console=console)
        for figure in figures:
            table.add_row(
                short, figure.name, format_value(figure.value), figure.unit, figure.goal, figure.note
            )
    total = time.perf_counter() - started
    console.print(table)
    budget = (
        ""
        if args.full
        else f" (budget {BUDGET_SECONDS // 60} min{', EXCEEDED' if total > BUDGET_SECONDS else ''})"
    )
    console.print(
        f"{len(names)} benchmarks in {total:.0f}s{budget}; sizes: {'full' if args.full else 'scaled down'}"
    )


if __name__ == "__main__":
    main()
