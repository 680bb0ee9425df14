"""The incremental periodic scan: evaluate only the parcels whose outcome can have changed.

A rule's outcome for one parcel changes between two scans for one of two reasons:

* its data changed — a tracking event, a shipment or order update, a sibling's event (split
  parcels), an agent resolving the finding by hand. The domain-event handlers mark those parcels
  (``logistics_scan_marks``) in the ingesting transaction;
* time passed a threshold — every rule is "a stored time is older than ``now - N h``", so between
  the previous scan (``prev``) and this one a parcel can only start matching if that time lies in
  ``[prev - N, now - N]`` (per distinct threshold N): a narrow range scan on an index of the
  denormalised column (shipped_at, last_event_at, estimated/promised date, a sibling's
  delivered_at; for stuck_at_hub, the event of arrival at the current hub). No rule stops matching
  through time alone.

Every other parcel's findings are what the previous scan left, so the incremental scan evaluates
the marked and crossing parcels with the very same rule statements (``Scope(candidates=True)``)
and gives the same findings as a full sweep at the same ``now`` (tested). A change of the rules or
of the active restricted regions (including one becoming active or expiring) changes ``config``:
the next periodic scan is then a full sweep, as is the first one and the daily sweep.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, delete, func, or_, select, text
from sqlalchemy.orm import Session

from aftersales.db import is_postgres, tune_for_large_reads
from aftersales.kit.upsert import conflict_insert, in_values, insert_ignore
from aftersales.logistics.models import AnomalyKind, RestrictedRegion, ScanMark, ScanOrderMark, ScanRun
from aftersales.logistics.rules import EffectiveRule, effective_rules
from aftersales.logistics.scan import (
    CANDIDATES,
    MOVING,
    Scope,
    _when,
    evaluate,
)
from aftersales.orders.models import Order, Shipment, TrackingEvent, TrackingStatus
from aftersales.orders.repository import chunks

FULL = "full"
INCREMENTAL = "incremental"
KEEP_RUNS = timedelta(days=7)
CREATE_CANDIDATES = (
    "CREATE TEMPORARY TABLE IF NOT EXISTS logistics_scan_candidates (shipment_id INTEGER PRIMARY KEY)"
)


# --- marks: parcels whose data changed -------------------------------------------------------


def mark_parcels(session: Session, shipment_ids: list[int], *, with_siblings: bool = True) -> None:
    """Mark parcels (and the other parcels of their orders: a split parcel's rule reads its
    siblings) for the next incremental scan; in the caller's transaction."""
    for chunk in chunks(sorted(set(shipment_ids))):
        if with_siblings:
            orders = select(Shipment.order_id).where(in_values(session, Shipment.id, chunk))
            ids = select(Shipment.id).where(Shipment.order_id.in_(orders))
            _insert_marks(session, ids)
        else:
            insert_ignore(
                session, ScanMark, [{"shipment_id": i} for i in chunk], conflict_columns=["shipment_id"]
            )


def mark_orders(session: Session, order_ids: list[int]) -> None:
    """Mark these orders (region holds) and every parcel of them (their shipments or the order
    itself changed)."""
    for chunk in chunks(sorted(set(order_ids))):
        _insert_marks(session, select(Shipment.id).where(in_values(session, Shipment.order_id, chunk)))
        rows = [{"order_id": i} for i in chunk]
        insert_ignore(session, ScanOrderMark, rows, conflict_columns=["order_id"])


def take_order_marks(session: Session) -> list[int]:
    """The marked orders, deleted: exactly those this transaction takes (see ``_fill_candidates``)."""
    return list(session.scalars(delete(ScanOrderMark).returning(ScanOrderMark.order_id)))


def clear_order_marks(session: Session) -> None:
    """Before a full region-hold pass: every order is checked, the marks are spent."""
    session.execute(delete(ScanOrderMark))


def _insert_marks(session: Session, ids: Select[Any]) -> None:
    statement = (
        conflict_insert(session, ScanMark.__table__)
        .from_select(["shipment_id"], ids)
        .on_conflict_do_nothing(index_elements=["shipment_id"])
    )
    session.execute(statement)


# --- config: the rules and regions the findings were computed with ----------------------------


def config_hash(session: Session, *, now: datetime) -> str:
    """The thresholds of every rule and the restricted regions active at ``now``."""
    rules = {
        kind.value: [_setting(rule.default), sorted((c, _setting(s)) for c, s in rule.couriers.items())]
        for kind, rule in sorted(effective_rules(session).items())
    }
    at = _when(now)
    regions = session.execute(
        select(
            RestrictedRegion.id,
            RestrictedRegion.province,
            RestrictedRegion.city,
            RestrictedRegion.district,
            RestrictedRegion.courier,
            RestrictedRegion.valid_from,
        )
        .where(
            RestrictedRegion.valid_from <= at,
            or_(RestrictedRegion.valid_until.is_(None), RestrictedRegion.valid_until > at),
        )
        .order_by(RestrictedRegion.id)
    )
    payload = {"rules": rules, "regions": [[str(v) for v in row] for row in regions]}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _setting(setting: Any) -> list[Any]:
    return [setting.threshold_hours, setting.enabled]


# --- scan runs: the watermark ----------------------------------------------------------------


def last_run(session: Session, *, window: timedelta) -> ScanRun | None:
    return session.scalar(
        select(ScanRun)
        .where(ScanRun.window_hours == _hours(window))
        .order_by(ScanRun.scanned_until.desc(), ScanRun.id.desc())
        .limit(1)
    )


def record_run(
    session: Session, *, mode: str, now: datetime, window: timedelta, config: str, parcels: int | None = None
) -> None:
    session.add(
        ScanRun(
            mode=mode,
            scanned_until=now,
            window_hours=_hours(window),
            config=config,
            parcels=parcels,
            created_at=now,
        )
    )
    session.execute(delete(ScanRun).where(ScanRun.scanned_until < _when(now - KEEP_RUNS)))
    session.flush()


def _hours(window: timedelta) -> int:
    return int(window.total_seconds() // 3600)


# --- the incremental scan --------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """``[prev - N h, now - N h]``: where a time measured against an ``N``-hour threshold must
    lie for the rule to have started matching between the two scans."""

    low: Any
    high: Any


def _spans(rule: EffectiveRule, prev: datetime, now: datetime) -> list[Span]:
    """One span per distinct threshold among the rule's enabled settings (the default and each
    courier's): narrow ranges, each on its own index range scan. Which courier a threshold
    belongs to is left to the rule statement (a superset is fine)."""
    hours = sorted({s.threshold_hours for s in [rule.default, *rule.couriers.values()] if s.enabled})
    return [Span(_when(prev - timedelta(hours=h)), _when(now - timedelta(hours=h))) for h in hours]


def crossings(rules: dict[AnomalyKind, EffectiveRule], *, prev: datetime, now: datetime) -> list[Select[Any]]:
    """Per rule and threshold, the parcels whose measured time passed it between ``prev`` and
    ``now`` (a superset: the rule statements decide), each an index range scan."""
    queries: list[Select[Any]] = []
    parcel = select(Shipment.id)
    for kind, rule in rules.items():
        for span in _spans(rule, prev, now):
            queries += _crossing(kind, span, parcel)
    return queries


def _crossing(kind: AnomalyKind, span: Span, parcel: Select[Any]) -> list[Select[Any]]:
    def between(column: Any) -> Any:
        return column.between(span.low, span.high)

    if kind == AnomalyKind.NO_FIRST_SCAN:
        return [parcel.where(between(Shipment.shipped_at), Shipment.status.is_(None))]
    if kind == AnomalyKind.NO_UPDATE:
        return [parcel.where(Shipment.status.in_(MOVING), between(Shipment.last_event_at))]
    if kind == AnomalyKind.STUCK_AT_HUB:
        # matches once the arrival at the current hub is older than the threshold: the arrival is
        # one of the parcel's events, so some event lies in the span (ix_tracking_events_occurred_at)
        return [select(TrackingEvent.shipment_id).where(between(TrackingEvent.occurred_at))]
    if kind == AnomalyKind.DELIVERY_FAILED:
        return [parcel.where(Shipment.status == TrackingStatus.FAILED, between(Shipment.last_event_at))]
    if kind == AnomalyKind.RETURNED:
        return [parcel.where(Shipment.status == TrackingStatus.RETURNED, between(Shipment.last_event_at))]
    if kind == AnomalyKind.LATE:
        promised = select(Order.id).where(between(Order.promised_delivery_at))
        return [
            parcel.where(between(Shipment.estimated_delivery_at)),
            parcel.where(Shipment.order_id.in_(promised)),
        ]
    if kind == AnomalyKind.RESTRICTED_REGION:
        return [parcel.where(between(Shipment.shipped_at))]
    if kind == AnomalyKind.SPLIT_LAGGING:
        delivered = select(Shipment.order_id).where(between(Shipment.delivered_at))
        return [parcel.where(Shipment.order_id.in_(delivered))]
    raise ValueError(kind)


def _fill_candidates(
    session: Session, rules: dict[AnomalyKind, EffectiveRule], *, prev: datetime, now: datetime
) -> int:
    """Take (delete) the pending marks and add the threshold crossings: this scan's parcels.
    ``DELETE … RETURNING`` takes exactly the marks this transaction deletes; one committed later
    stays for the next scan."""
    session.execute(text(CREATE_CANDIDATES))
    session.execute(CANDIDATES.delete())
    _move_marks_into_candidates(session)
    for query in crossings(rules, prev=prev, now=now):
        session.execute(
            conflict_insert(session, CANDIDATES)
            .from_select(["shipment_id"], query)
            .on_conflict_do_nothing(index_elements=["shipment_id"])
        )
    if is_postgres(session):
        session.execute(text("ANALYZE logistics_scan_candidates"))
    return int(session.scalar(select(func.count()).select_from(CANDIDATES)) or 0)


def _move_marks_into_candidates(session: Session) -> None:
    """Move the marks into the candidates: on PostgreSQL in one statement (a ``DELETE …
    RETURNING`` in a ``WITH``), on SQLite, which has no DML in a ``WITH``, through the client."""
    if is_postgres(session):
        taken = delete(ScanMark).returning(ScanMark.shipment_id).cte("taken")
        session.execute(
            conflict_insert(session, CANDIDATES)
            .from_select(["shipment_id"], select(taken.c.shipment_id))
            .on_conflict_do_nothing()
        )
        return
    marked = list(session.scalars(delete(ScanMark).returning(ScanMark.shipment_id)))
    for chunk in chunks(marked, 5000):
        session.execute(
            conflict_insert(session, CANDIDATES).on_conflict_do_nothing(), [{"shipment_id": i} for i in chunk]
        )


def run_incremental_scan(
    session: Session, *, now: datetime, prev: datetime, shipped_since: datetime
) -> dict[str, int]:
    """Every rule over the marked and threshold-crossing parcels only; same findings as a full
    sweep at ``now`` provided the findings are those of a complete scan at ``prev``."""
    tune_for_large_reads(session)
    rules = effective_rules(session)
    parcels = _fill_candidates(session, rules, prev=prev, now=now)
    ids = None
    if is_postgres(session):
        ids = sorted(session.scalars(select(CANDIDATES.c.shipment_id)))
    counts = evaluate(
        session, Scope(now=now, shipped_since=shipped_since, candidates=True, candidate_ids=ids)
    )
    session.execute(CANDIDATES.delete())
    counts["parcels"] = parcels
    return counts
