"""Sharded scans: one logical scan split into N jobs that workers run in parallel.

A periodic "fan-out" job calls ``enqueue_shards``; each shard job selects its rows with
``shard_clause(Model.id, shard=i, shards=N)`` (``id % N = i``, which both SQLite and PostgreSQL
evaluate inside the query, so no shard loads another's rows). The shards partition the table:
every row belongs to exactly one shard, whatever the number of workers. Dedupe keys make the
fan-out idempotent per slot, so two workers fanning out the same slot enqueue each shard once.

``IdRange`` splits by contiguous id ranges instead: the fan-out fixes the span (first and
last id in scope) in the payload, so every shard draws the same boundaries whenever it runs, and
each shard reads one slice of the primary key and of the indexes keyed by it. The first and the
last shard are open-ended, so rows added after the fan-out still belong to exactly one shard.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from aftersales.jobs.registry import enqueue

MAX_SHARDS = 256


def check_shard(shard: int, shards: int) -> None:
    if not 1 <= shards <= MAX_SHARDS or not 0 <= shard < shards:
        raise ValueError(f"shard {shard} of {shards} is outside 0 ≤ shard < shards ≤ {MAX_SHARDS}")


def shard_clause(column: InstrumentedAttribute[int], *, shard: int, shards: int) -> ColumnElement[bool]:
    """Rows of one shard; with ``shards == 1`` every row."""
    check_shard(shard, shards)
    return (column % shards) == shard


@dataclass(frozen=True)
class IdRange:
    """One shard of the ids ``first..last`` (the span the fan-out saw), as ``[low, high)``."""

    shard: int = 0
    shards: int = 1
    first: int = 0
    last: int = 0

    def bounds(self) -> tuple[int | None, int | None]:
        """``None`` is an open end: the first shard has no lower bound, the last no upper."""
        check_shard(self.shard, self.shards)
        width = max(1, -(-(self.last - self.first + 1) // self.shards))
        low = self.first + self.shard * width if self.shard > 0 else None
        high = self.first + (self.shard + 1) * width if self.shard < self.shards - 1 else None
        return low, high

    def clause(self, column: Any) -> ColumnElement[bool]:
        """Rows of this range; with one shard every row."""
        low, high = self.bounds()
        bounds = [column >= low] if low is not None else []
        bounds += [column < high] if high is not None else []
        return and_(*bounds) if bounds else true()


WHOLE = IdRange()


def enqueue_shards(
    session: Session, name: str, *, shards: int, dedupe_key: str | None = None, **payload: Any
) -> int:
    """Enqueue ``name`` once per shard with ``shard``/``shards`` in its payload; returns N."""
    check_shard(0, shards)
    for shard in range(shards):
        key = f"{dedupe_key}#{shard}/{shards}" if dedupe_key else None
        enqueue(session, name, dedupe_key=key, shard=shard, shards=shards, **payload)
    return shards
