"""The anomaly scan: one set-based statement per rule over every parcel in scope.

Each rule is a ``SELECT shipment_id, order_id, courier, observed_at`` over ``shipments`` (the
state columns orders ingestion keeps: status, first_scan_at, last_event_at, delivered_at,
estimated_delivery_at), fed straight into ``INSERT … ON CONFLICT (shipment_id, kind) DO UPDATE``:
a rescan refreshes ``last_seen_at`` and never adds a second finding. Findings of scanned parcels
that were not seen again are resolved. Follow-up (tickets, messages) is a separate batched job, so
the scan stays a handful of statements whatever the number of parcels.

Per-courier thresholds become a ``CASE courier WHEN … THEN <cutoff>`` inside the statement.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    Integer,
    MetaData,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    case,
    delete,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import QueryableAttribute, Session, aliased

from aftersales.db import tune_for_large_reads
from aftersales.jobs.shards import WHOLE, IdRange
from aftersales.kit.types import UTCDateTime
from aftersales.kit.upsert import conflict_insert
from aftersales.logistics.models import (
    ANY_COURIER,
    Anomaly,
    AnomalyKind,
    AnomalyStatus,
    RestrictedRegion,
    ScanMark,
)
from aftersales.logistics.rules import EffectiveRule, effective_rules
from aftersales.orders.models import Order, Shipment, ShipmentDirection, TrackingEvent, TrackingStatus

MOVING = (
    TrackingStatus.COLLECTED,
    TrackingStatus.IN_TRANSIT,
    TrackingStatus.OUT_FOR_DELIVERY,
    TrackingStatus.EXCEPTION,
)
AT_A_HUB = (TrackingStatus.COLLECTED, TrackingStatus.IN_TRANSIT, TrackingStatus.EXCEPTION)
NOT_ARRIVED = (*MOVING, TrackingStatus.FAILED)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Column_ = ColumnElement[Any] | QueryableAttribute[Any]
# shipment_id, order_id, courier, observed_at
RuleQuery = Select[*tuple[Any, ...]]

# The parcels an incremental scan evaluates: a per-connection temporary table (its own metadata,
# so neither the migrations nor the schema-drift test see it), filled and emptied by that scan.
CANDIDATES = Table(
    "logistics_scan_candidates",
    MetaData(),
    Column("shipment_id", Integer, primary_key=True, autoincrement=False),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True)
class Scope:
    """``ids``: the shipment id range of one shard; a shard reads, writes and resolves only its
    own parcels' findings, so shards finishing at different times never resolve each other's.
    ``candidates``: only the parcels in ``CANDIDATES`` (the incremental scan), likewise for
    reading, writing and resolving."""

    now: datetime
    shipped_since: datetime
    ids: IdRange = WHOLE
    candidates: bool = False
    candidate_ids: list[int] | None = None

    def parcels(self, column: Any) -> ColumnElement[bool]:
        """PostgreSQL gets the candidates as one array parameter (``id = ANY(…)``, an index
        condition on the primary key): with ``IN (SELECT … FROM candidates)`` its planner scans
        the open parcels and probes the candidates instead of the reverse."""
        clause = self.ids.clause(column)
        if self.candidate_ids is not None:
            ids = bindparam(None, self.candidate_ids, type_=postgresql.ARRAY(Integer))
            clause = and_(clause, column == any_(ids))
        elif self.candidates:
            clause = and_(clause, column.in_(select(CANDIDATES.c.shipment_id)))
        return clause


def _when(value: datetime) -> Any:
    return bindparam(None, value, type_=UTCDateTime())


@dataclass(frozen=True)
class Cutoff:
    """``now - threshold`` per courier, which couriers the rule covers, and the loosest cutoff.

    ``before(column)`` adds ``column < loosest`` beside the per-courier ``CASE``: a plain range
    the planner can run on an index, while the ``CASE`` keeps each courier's own threshold.
    """

    exact: ColumnElement[Any]
    allowed: ColumnElement[bool]
    loosest: Any

    def before(self, column: Any, *, inclusive: bool = False) -> ColumnElement[bool]:
        if inclusive:
            return and_(column <= self.loosest, column <= self.exact, self.allowed)
        return and_(column < self.loosest, column < self.exact, self.allowed)


def _cutoff(rule: EffectiveRule, now: datetime) -> Cutoff:
    overrides = {c: s for c, s in rule.couriers.items() if s.enabled}
    disabled = [c for c, s in rule.couriers.items() if not s.enabled]
    default_at = _when(now - timedelta(hours=rule.default.threshold_hours))
    exact: ColumnElement[Any] = default_at
    if overrides:
        exact = case(
            {c: _when(now - timedelta(hours=s.threshold_hours)) for c, s in overrides.items()},
            value=Shipment.courier,
            else_=default_at,
        )
    hours = [s.threshold_hours for s in overrides.values()]
    allowed: ColumnElement[bool]
    if rule.default.enabled:
        allowed = Shipment.courier.not_in(disabled) if disabled else true()
        hours.append(rule.default.threshold_hours)
    else:
        allowed = Shipment.courier.in_(list(overrides)) if overrides else false()
    loosest = _when(now - timedelta(hours=min(hours, default=0)))
    return Cutoff(exact, allowed, loosest)


def off_index(column: Column_) -> ColumnElement[Any]:
    """Speed trick: ``coalesce(c, c)`` has the value of ``c`` on every row (NULL stays NULL), but
    no index covers it, so a condition on it cannot send the planner down that column's index.
    ``plain_column`` is the reference; ``tests/logistics/test_scan.py`` runs the scan with each
    and compares the findings."""
    return func.coalesce(column, column)


def plain_column(column: Column_) -> Column_:
    """The reference of ``off_index``: the column itself (the same rows, the planner's own plan)."""
    return column


def _base(scope: Scope, observed: Any, *, by_status: bool = False) -> RuleQuery:
    """``by_status``: on SQLite, read the parcels through the (status, last_event_at) index; the
    planner otherwise walks the shipped_at range (every parcel in scope) for a rule that needs a
    few thousand parcels of one status. ``off_index`` keeps that range off the shipped_at index
    (both databases then start from the status index), without dialect hints."""
    shipped_at = off_index(Shipment.shipped_at) if by_status else Shipment.shipped_at
    return select(Shipment.id, Shipment.order_id, Shipment.courier, observed).where(
        shipped_at >= _when(scope.shipped_since),
        Shipment.direction == ShipmentDirection.OUTBOUND,
        scope.parcels(Shipment.id),
    )


def no_first_scan(rule: EffectiveRule, scope: Scope) -> RuleQuery:
    cut = _cutoff(rule, scope.now)
    return _base(scope, Shipment.shipped_at, by_status=True).where(
        Shipment.status.is_(None),
        Shipment.first_scan_at.is_(None),
        cut.before(off_index(Shipment.shipped_at)),
    )


def no_update(rule: EffectiveRule, scope: Scope) -> RuleQuery:
    cut = _cutoff(rule, scope.now)
    return _base(scope, Shipment.last_event_at).where(
        Shipment.status.in_(MOVING), cut.before(Shipment.last_event_at)
    )


def stuck_at_hub(rule: EffectiveRule, scope: Scope) -> RuleQuery:
    """At the cutoff the parcel was already where it is now, and it has been nowhere else since.

    Two index probes per candidate on (shipment_id, occurred_at): the last event before the
    cutoff must be at the current location, and no event after it elsewhere. The arrival time
    (for the ticket text) is computed only for the parcels found.
    """
    cut = _cutoff(rule, scope.now)
    before, after, here, elsewhere = (aliased(TrackingEvent) for _ in range(4))
    position_at_cut = (
        select(before.location)
        .where(before.shipment_id == Shipment.id, before.occurred_at < cut.exact)
        .order_by(before.occurred_at.desc())
        .limit(1)
        .correlate(Shipment)
        .scalar_subquery()
    )
    moved_since = (
        exists()
        .where(
            after.shipment_id == Shipment.id,
            after.occurred_at >= cut.exact,
            after.location != Shipment.last_location,
        )
        .correlate(Shipment)
    )
    left_elsewhere = (
        select(func.max(elsewhere.occurred_at))
        .where(elsewhere.shipment_id == Shipment.id, elsewhere.location != Shipment.last_location)
        .correlate(Shipment)
        .scalar_subquery()
    )
    arrived = (
        select(func.min(here.occurred_at))
        .where(
            here.shipment_id == Shipment.id,
            here.location == Shipment.last_location,
            here.occurred_at > func.coalesce(left_elsewhere, _when(EPOCH)),
        )
        .correlate(Shipment)
        .scalar_subquery()
    )
    return _base(scope, arrived, by_status=True).where(
        Shipment.status.in_(AT_A_HUB),
        Shipment.last_location.is_not(None),
        cut.before(Shipment.first_scan_at),
        position_at_cut == Shipment.last_location,
        ~moved_since,
    )


def _latest_status_is(status: TrackingStatus) -> Any:
    def rule_query(rule: EffectiveRule, scope: Scope) -> RuleQuery:
        cut = _cutoff(rule, scope.now)
        return _base(scope, Shipment.last_event_at).where(
            Shipment.status == status, cut.before(Shipment.last_event_at, inclusive=True)
        )

    return rule_query


def late(rule: EffectiveRule, scope: Scope) -> RuleQuery:
    """Not delivered, and past the promised date (platform promise first, else the courier's ETA)."""
    cut = _cutoff(rule, scope.now)
    due = func.coalesce(Order.promised_delivery_at, Shipment.estimated_delivery_at)
    return (
        _base(scope, due, by_status=True)
        .join(Order, Order.id == Shipment.order_id)
        .where(
            or_(Shipment.status.is_(None), Shipment.status.in_(NOT_ARRIVED)),
            Shipment.delivered_at.is_(None),
            cut.before(due),
        )
    )


def region_match(order: Any, courier: Any, now: datetime) -> ColumnElement[bool]:
    """An active restricted region covering the order's address (and courier)."""
    at = _when(now)
    return and_(
        RestrictedRegion.province == order.province,
        or_(RestrictedRegion.city == "", RestrictedRegion.city == order.city),
        or_(RestrictedRegion.district == "", RestrictedRegion.district == order.district),
        or_(RestrictedRegion.courier == ANY_COURIER, RestrictedRegion.courier == courier),
        RestrictedRegion.valid_from <= at,
        or_(RestrictedRegion.valid_until.is_(None), RestrictedRegion.valid_until > at),
    )


def restricted_region(rule: EffectiveRule, scope: Scope) -> RuleQuery:
    """``province IN (the restricted provinces)`` first, one list for the whole statement: most
    parcels' orders are then dropped without probing the regions."""
    cut = _cutoff(rule, scope.now)
    at = _when(scope.now)
    provinces = select(RestrictedRegion.province).where(
        RestrictedRegion.valid_from <= at,
        or_(RestrictedRegion.valid_until.is_(None), RestrictedRegion.valid_until > at),
    )
    query: RuleQuery = (
        select(Shipment.id, Shipment.order_id, Shipment.courier, func.min(RestrictedRegion.valid_from))
        .join(Order, Order.id == Shipment.order_id)
        .join(RestrictedRegion, region_match(Order, Shipment.courier, scope.now))
        .where(
            Shipment.shipped_at >= _when(scope.shipped_since),
            scope.parcels(Shipment.id),
            or_(Shipment.status.is_(None), Shipment.status.in_(NOT_ARRIVED)),
            Shipment.delivered_at.is_(None),
            cut.before(Shipment.shipped_at, inclusive=True),
            Order.province.in_(provinces),
        )
        .group_by(Shipment.id, Shipment.order_id, Shipment.courier)
    )
    return query


def split_lagging(rule: EffectiveRule, scope: Scope) -> RuleQuery:
    """A parcel of a split order still on its way N hours after a sibling was delivered.

    Read from the undelivered parcels (the partial index on open parcels), each probing its own
    order's siblings on ``ix_shipments_order_id`` once (some sibling delivered before the cutoff);
    the first delivery (for the ticket text) is computed only for the parcels found. Grouping
    every delivered parcel in scope by order costs a pass over the whole window instead."""
    cut = _cutoff(rule, scope.now)
    sibling, first = aliased(Shipment), aliased(Shipment)

    def delivered_sibling(parcel: Any) -> ColumnElement[bool]:
        return and_(
            parcel.order_id == Shipment.order_id,
            parcel.shipped_at >= _when(scope.shipped_since),
            parcel.delivered_at.is_not(None),
            parcel.direction == ShipmentDirection.OUTBOUND,
        )

    first_delivered = (
        select(func.min(first.delivered_at))
        .where(delivered_sibling(first))
        .correlate(Shipment)
        .scalar_subquery()
    )
    return _base(scope, first_delivered).where(
        Shipment.delivered_at.is_(None),
        Shipment.is_reshipment.is_(False),
        or_(Shipment.status.is_(None), Shipment.status.in_(NOT_ARRIVED)),
        exists().where(delivered_sibling(sibling), cut.before(sibling.delivered_at)).correlate(Shipment),
    )


RULES = {
    AnomalyKind.NO_FIRST_SCAN: no_first_scan,
    AnomalyKind.NO_UPDATE: no_update,
    AnomalyKind.STUCK_AT_HUB: stuck_at_hub,
    AnomalyKind.DELIVERY_FAILED: _latest_status_is(TrackingStatus.FAILED),
    AnomalyKind.RETURNED: _latest_status_is(TrackingStatus.RETURNED),
    AnomalyKind.LATE: late,
    AnomalyKind.RESTRICTED_REGION: restricted_region,
    AnomalyKind.SPLIT_LAGGING: split_lagging,
}


def _store(session: Session, kind: AnomalyKind, query: RuleQuery, now: datetime) -> None:
    """``INSERT … SELECT … ON CONFLICT DO UPDATE``: one statement, new or refreshed findings."""
    table = Anomaly.__table__
    rows = query.add_columns(
        literal(kind.value),
        literal(AnomalyStatus.OPEN.value),
        _when(now),
        _when(now),
        literal(False),
    )
    columns = ["shipment_id", "order_id", "courier", "observed_at", "kind", "status"]
    columns += ["first_seen_at", "last_seen_at", "message_queued"]
    statement = conflict_insert(session, table).from_select(columns, rows)
    was_resolved = table.c.status == AnomalyStatus.RESOLVED.value
    statement = statement.on_conflict_do_update(
        index_elements=["shipment_id", "kind"],
        set_={
            "last_seen_at": statement.excluded.last_seen_at,
            "observed_at": statement.excluded.observed_at,
            "status": AnomalyStatus.OPEN.value,
            "resolved_at": None,
            "followed_up_at": case((was_resolved, None), else_=table.c.followed_up_at),
        },
    )
    session.execute(statement)


def _seen_now(session: Session, scope: Scope) -> dict[str, int]:
    """Findings per kind this scan reported (new or refreshed), counted after the inserts."""
    rows = session.execute(
        select(Anomaly.kind, func.count())
        .where(Anomaly.last_seen_at == _when(scope.now), scope.parcels(Anomaly.shipment_id))
        .group_by(Anomaly.kind)
    )
    return {AnomalyKind(kind).value: int(n) for kind, n in rows}


def _resolve_unseen(session: Session, scope: Scope) -> int:
    """Open findings on scanned parcels that no rule reported this time are over; those with a
    ticket wait for the follow-up to note it there."""
    in_scope = exists().where(
        Shipment.id == Anomaly.shipment_id, Shipment.shipped_at >= _when(scope.shipped_since)
    )
    result = session.execute(
        update(Anomaly)
        .where(
            Anomaly.status == AnomalyStatus.OPEN,
            Anomaly.last_seen_at < _when(scope.now),
            scope.parcels(Anomaly.shipment_id),
            in_scope,
        )
        .values(
            status=AnomalyStatus.RESOLVED,
            resolved_at=scope.now,
            # a finding with a ticket is due a follow-up again: its ticket notes it resolved
            followed_up_at=case((Anomaly.ticket_id.is_not(None), None), else_=Anomaly.followed_up_at),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def run_scan(
    session: Session, *, now: datetime, shipped_since: datetime, ids: IdRange = WHOLE
) -> dict[str, int]:
    """Every enabled rule over the parcels shipped since ``shipped_since`` (of one shard's id
    range); returns counts per kind. The pending marks are the caller's to spend or keep."""
    tune_for_large_reads(session)
    return evaluate(session, Scope(now=now, shipped_since=shipped_since, ids=ids))


def evaluate(session: Session, scope: Scope) -> dict[str, int]:
    """Every enabled rule over the parcels of ``scope``, then resolve what was not seen again."""
    now = scope.now
    for kind, rule in effective_rules(session).items():
        if rule.default.enabled or any(s.enabled for s in rule.couriers.values()):
            _store(session, kind, RULES[kind](rule, scope), now)
    counts = {kind.value: 0 for kind in AnomalyKind} | _seen_now(session, scope)
    counts["resolved"] = _resolve_unseen(session, scope)
    return counts


def take_marks(session: Session, *, shipped_since: datetime) -> None:
    """A full sweep evaluates every parcel in scope now: their pending marks are spent, before
    the rules run (so that marks committed meanwhile stay for the next scan). A shard keeps
    them: it may run after later incremental scans, and a mark it spent for data that changed
    after them would go unevaluated. (A concurrent marking of a parcel whose mark is being
    deleted waits for this transaction and then marks it again.) Driven from the few marks, each
    probing its parcel: ``IN (SELECT … FROM shipments)`` has SQLite build the list of every
    parcel in scope first (1.6 s at 1M parcels)."""
    since = _when(shipped_since)
    in_scope = exists().where(Shipment.id == ScanMark.shipment_id, Shipment.shipped_at >= since)
    session.execute(delete(ScanMark).where(in_scope).execution_options(synchronize_session=False))


def id_span(session: Session, *, shipped_since: datetime) -> tuple[int, int]:
    """The lowest and highest id of the parcels in scope, which the fan-out splits into shards."""
    low, high = session.execute(
        select(func.min(Shipment.id), func.max(Shipment.id)).where(
            Shipment.shipped_at >= _when(shipped_since)
        )
    ).one()
    return int(low or 0), int(high or 0)
