"""Issue 2: time to generate the default demo promotion (6,000 orders) into SQLite."""

import os
import time
from datetime import date, datetime

from benchmarks.figures import Figure, scratch_sqlite


def run(full: bool) -> list[Figure]:
    from aftersales import db
    from aftersales.config import get_settings
    from aftersales.demo.generator import DemoConfig, generate

    with scratch_sqlite() as url:
        os.environ["AFTERSALES_DATABASE_URL"] = url
        get_settings.cache_clear()
        db.get_engine.cache_clear()
        db.get_sessionmaker.cache_clear()
        config = DemoConfig.build(
            seed=11, orders=6000, peak_day=date(2026, 11, 11), as_of=datetime(2026, 11, 25, 12)
        )
        started = time.perf_counter()
        summary = generate(config)
        elapsed = time.perf_counter() - started
        db.get_engine().dispose()
    return [
        Figure(
            "demo generation (default promotion)",
            elapsed,
            "s",
            note=f"{summary['orders']} orders, {summary['parcels']} parcels, {summary['events']} events",
        )
    ]
