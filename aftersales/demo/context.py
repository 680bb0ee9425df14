"""The demo's configuration and the context every domain's demo extension receives.

Kept apart from the generator, which sits on top of every domain: an extension (``<domain>/demo.py``)
imports only this module, so the layer contract holds for it too.
"""

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aftersales.catalog.models import Shop, Sku
from aftersales.kit.time import SHANGHAI, utcnow

AFTER_SALES_DAYS = 14  # the peak day and the 13 days after it: what the analytics pages show by default
DEFAULT_AS_OF_AFTER_PEAK = timedelta(days=9, hours=20)


@dataclass(frozen=True)
class DemoConfig:
    seed: int
    orders: int
    peak_day: date
    as_of: datetime

    @classmethod
    def build(
        cls,
        *,
        seed: int = 11,
        orders: int = 6000,
        peak_day: date | None = None,
        as_of: datetime | None = None,
    ) -> "DemoConfig":
        """By default the promotion is seen now, on the last day of its 14-day after-sales window,
        so the jobs, SLA clocks, shift handoffs and analytics (which all run on the real clock) agree
        with the data. A given peak day (without ``as_of``: seen at 20:00 on day 9 of its window) or
        ``as_of`` pins the calendar, so tests get the same data on any day."""
        if as_of is None:
            if peak_day is None:
                as_of = utcnow().replace(second=0, microsecond=0)
            else:
                as_of = datetime.combine(peak_day, time(0), tzinfo=SHANGHAI) + DEFAULT_AS_OF_AFTER_PEAK
        elif as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=SHANGHAI)
        as_of = as_of.astimezone(UTC)
        peak_day = peak_day or as_of.astimezone(SHANGHAI).date() - timedelta(days=AFTER_SALES_DAYS - 1)
        return cls(seed=seed, orders=orders, peak_day=peak_day, as_of=as_of)


@dataclass
class DemoContext:
    """What extensions get: the config, the catalogue and the orders, and a seeded stream each."""

    config: DemoConfig
    shops: dict[str, Shop]
    skus: dict[str, list[Sku]]
    order_ids: list[int] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)

    def rng(self, name: str) -> random.Random:
        return random.Random(f"{self.config.seed}:{name}")
