import argparse
import importlib
import pkgutil
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks.figures import Figure


def main() -> None:
    parser = argparse.ArgumentParser(description="Run every benchmark and print one table of figures.")
    parser.add_argument("--full", action="store_true", help="full sizes named in the issues (slow)")
    parser.add_argument("--only", action="append", help="run only these benchmarks (e.g. import_orders)")
    args = parser.parse_args()
    console = Console()
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    table = Table("benchmark", "figure", "value", "unit", "goal", "note", title="aftersales figures")
    for name in names:
        short = name.removeprefix("bench_")
        if args.only and short not in args.only:
            continue
        started = time.perf_counter()
        console.print(f"[bold]{short}[/] …")
        figures: list[Figure] = importlib.import_module(f"benchmarks.{name}").run(full=args.full)
        for figure in figures:
            table.add_row(short, figure.name, f"{figure.value:,.2f}", figure.unit, figure.goal, figure.note)
        console.print(f"  done in {time.perf_counter() - started:.1f}s")
    console.print(table)


if __name__ == "__main__":
    main()
