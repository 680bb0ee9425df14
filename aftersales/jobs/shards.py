"""Sharded scans: one logical scan split into N jobs that workers run in parallel.

A periodic "fan-out" job calls ``enqueue_shards``; each shard job selects its rows with
``shard_clause(Model.id, shard=i, shards=N)`` (``id % N = i``, which both SQLite and PostgreSQL
evaluate inside the query, so no shard loads another's rows). The shards partition the table:
every row belongs to exactly one shard, whatever the number of workers. Dedupe keys make the
fan-out idempotent per slot, so two workers fanning out the same slot enqueue each shard once.
"""

from typing import Any

from sqlalchemy import ColumnElement
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


def enqueue_shards(
    session: Session, name: str, *, shards: int, dedupe_key: str | None = None, **payload: Any
) -> int:
    """Enqueue ``name`` once per shard with ``shard``/``shards`` in its payload; returns N."""
    check_shard(0, shards)
    for shard in range(shards):
        key = f"{dedupe_key}#{shard}/{shards}" if dedupe_key else None
        enqueue(session, name, dedupe_key=key, shard=shard, shards=shards, **payload)
    return shards
