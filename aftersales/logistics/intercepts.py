"""Refund interception (seed 000 "退款单自动拦截"): stop parcels of refunded orders in transit.

A refund request (``RefundRequested``) for an order with parcels shipped but not
delivered creates one intercept per such parcel, at any hour, in the refund's own transaction;
the call to the courier happens in a job right after commit (never inside a request). Each
outcome is published as ``InterceptResolved`` so returns can release the refund per
the shop's rule (on ``accepted`` or only on ``returned``).

Lifecycle: requested → accepted → returned, or requested → failed, or accepted → failed
(delivered anyway). Tracking events overrule the courier's word: a parcel signed for has failed
interception, a parcel returned to the sender has been returned.
"""

import statistics
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.jobs import enqueue
from aftersales.kit.errors import NotFoundError
from aftersales.kit.events import RefundRequested, publish
from aftersales.kit.time import as_utc, utcnow
from aftersales.logistics.couriers import CourierContext, courier_adapter
from aftersales.logistics.events import InterceptResolved
from aftersales.logistics.models import Intercept, InterceptStatus
from aftersales.orders.models import Order, Shipment, ShipmentDirection, TrackingStatus

SUCCESS = (InterceptStatus.ACCEPTED, InterceptStatus.RETURNED)
OPEN = (InterceptStatus.REQUESTED, InterceptStatus.ACCEPTED)


def interceptable_parcels(session: Session, order_id: int, before: datetime) -> list[Shipment]:
    """Shipped to the buyer before the refund request, not delivered, not already on its way back.

    Buyers' return parcels live in the same table but are registered with the request (shipped at
    or after it), so ``shipped_at < before`` keeps them out.
    """
    return list(
        session.scalars(
            select(Shipment)
            .where(
                Shipment.order_id == order_id,
                Shipment.shipped_at < before,
                Shipment.delivered_at.is_(None),
                Shipment.direction == ShipmentDirection.OUTBOUND,
                Shipment.status.is_distinct_from(TrackingStatus.RETURNED),
            )
            .order_by(Shipment.id)
        )
    )


def request_intercepts(
    session: Session,
    *,
    order_id: int,
    refund_request_id: int,
    refund_requested_at: datetime,
    now: datetime | None = None,
) -> list[Intercept]:
    """Create the intercepts for a refund request and queue the courier calls. Idempotent per
    (parcel, refund request): a repeated event creates nothing new."""
    now = now or utcnow()
    order = session.get(Order, order_id)
    if order is None:
        return []
    parcels = interceptable_parcels(session, order_id, refund_requested_at)
    if not parcels:
        return []
    share = order.paid_fen // max(1, _regular_parcel_count(session, order_id))
    existing = set(
        session.scalars(
            select(Intercept.shipment_id).where(
                Intercept.order_id == order_id, Intercept.refund_request_id == refund_request_id
            )
        )
    )
    created = []
    for parcel in parcels:
        if parcel.id in existing:
            continue
        intercept = Intercept(
            shipment_id=parcel.id,
            order_id=order_id,
            refund_request_id=refund_request_id,
            courier=parcel.courier,
            status=InterceptStatus.REQUESTED,
            goods_value_fen=0 if parcel.is_reshipment else share,
            refund_requested_at=refund_requested_at,
            created_at=now,
        )
        session.add(intercept)
        created.append(intercept)
    session.flush()
    for intercept in created:
        enqueue(
            session,
            "logistics.submit_intercept",
            dedupe_key=f"intercept:{intercept.id}",
            intercept_id=intercept.id,
        )
    return created


def _regular_parcel_count(session: Session, order_id: int) -> int:
    rows = session.scalars(
        select(Shipment.id).where(Shipment.order_id == order_id, Shipment.is_reshipment.is_(False))
    ).all()
    return len(rows)


def _resolve(
    session: Session, intercept: Intercept, status: InterceptStatus, detail: str, now: datetime
) -> None:
    intercept.status, intercept.detail = status, detail
    if status in (InterceptStatus.RETURNED, InterceptStatus.FAILED):
        intercept.resolved_at = now
    session.flush()
    publish(
        session,
        InterceptResolved(
            order_id=intercept.order_id,
            request_id=intercept.refund_request_id,
            intercept_id=intercept.id,
            status=status.value,
        ),
    )


def submit(session: Session, *, intercept_id: int, now: datetime | None = None) -> Intercept:
    """Ask the courier to intercept. Runs in a job; a repeat after success does nothing."""
    now = now or utcnow()
    intercept = get_intercept(session, intercept_id)
    if intercept.status != InterceptStatus.REQUESTED or intercept.requested_at is not None:
        return intercept
    parcel = session.get(Shipment, intercept.shipment_id)
    assert parcel is not None
    if parcel.delivered_at is not None:
        intercept.requested_at = now
        _resolve(session, intercept, InterceptStatus.FAILED, "快件已签收,无需拦截", now)
        return intercept
    order = session.get(Order, intercept.order_id)
    assert order is not None
    context = CourierContext(
        session, order.shop_id, f"IC{intercept.id}", order.receiver_name, order.receiver_phone
    )
    reply = courier_adapter(parcel.courier).request_intercept(
        courier=parcel.courier,
        tracking_no=parcel.tracking_no,
        parcel_status=parcel.status,
        now=now,
        context=context,
    )
    intercept.requested_at, intercept.courier_ref = now, reply.courier_ref
    if reply.outcome == "accepted":
        _resolve(session, intercept, InterceptStatus.ACCEPTED, reply.detail, now)
    else:
        _resolve(session, intercept, InterceptStatus.FAILED, reply.detail, now)
    return intercept


def _from_tracking(parcel: Shipment) -> tuple[InterceptStatus, str] | None:
    if parcel.status == TrackingStatus.RETURNED:
        return InterceptStatus.RETURNED, "物流显示快件已退回"
    if parcel.delivered_at is not None:
        return InterceptStatus.FAILED, "物流显示快件已签收,拦截未成功"
    return None


def poll(session: Session, *, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Settle accepted intercepts: tracking first (it is what the buyer sees), then the courier."""
    now = now or utcnow()
    rows = session.execute(
        select(Intercept, Shipment, Order.shop_id)
        .join(Shipment, Shipment.id == Intercept.shipment_id)
        .join(Order, Order.id == Intercept.order_id)
        .where(Intercept.status == InterceptStatus.ACCEPTED)
        .order_by(Intercept.id)
        .limit(limit)
    ).all()
    counts = {"returned": 0, "failed": 0, "pending": 0}
    for intercept, parcel, shop_id in rows:
        settled = _from_tracking(parcel)
        if settled is None and intercept.courier_ref and intercept.requested_at:
            reply = courier_adapter(parcel.courier).intercept_status(
                courier=parcel.courier,
                tracking_no=parcel.tracking_no,
                courier_ref=intercept.courier_ref,
                accepted_at=intercept.requested_at,
                now=now,
                context=CourierContext(session, shop_id, f"IC{intercept.id}"),
            )
            if reply.outcome in ("returned", "failed"):
                settled = InterceptStatus(reply.outcome), reply.detail
        if settled is None:
            counts["pending"] += 1
            continue
        _resolve(session, intercept, settled[0], settled[1], now)
        counts[settled[0].value] += 1
    return counts


def confirm_from_group(
    session: Session, *, order_id: int, detail: str, now: datetime | None = None
) -> list[Intercept]:
    """The courier said in the logistics group that the order's parcels are stopped: intercepts
    still waiting for an answer become accepted, exactly as if the courier's API had said so
    (returns then releases the refund per the shop's rule). Settled ones are left alone."""
    now = now or utcnow()
    waiting = session.scalars(
        select(Intercept)
        .where(Intercept.order_id == order_id, Intercept.status == InterceptStatus.REQUESTED)
        .order_by(Intercept.id)
    ).all()
    for intercept in waiting:
        intercept.requested_at = intercept.requested_at or now
        _resolve(session, intercept, InterceptStatus.ACCEPTED, detail, now)
    return list(waiting)


def get_intercept(session: Session, intercept_id: int) -> Intercept:
    intercept = session.get(Intercept, intercept_id)
    if intercept is None:
        raise NotFoundError(f"拦截记录不存在: {intercept_id}")
    return intercept


@dataclass
class CourierStats:
    courier: str
    requests: int = 0
    succeeded: int = 0
    failed: int = 0
    pending: int = 0
    saved_fen: int = 0

    @property
    def success_rate(self) -> float | None:
        settled = self.succeeded + self.failed
        return self.succeeded / settled if settled else None


@dataclass
class InterceptStats:
    requests: int = 0
    succeeded: int = 0
    failed: int = 0
    pending: int = 0
    saved_fen: int = 0
    median_seconds_to_request: float | None = None
    mean_seconds_to_request: float | None = None
    by_courier: list[CourierStats] = field(default_factory=list)

    @property
    def success_rate(self) -> float | None:
        settled = self.succeeded + self.failed
        return self.succeeded / settled if settled else None


def stats(session: Session, *, since: datetime | None = None) -> InterceptStats:
    """Requests, success rate per courier, goods value kept from loss, refund-to-request latency.

    Success = accepted or returned; the rate is over settled intercepts (pending ones excluded).
    Counts and sums are one grouped query; the latency median needs the individual durations,
    read as two columns of the intercepts that reached the courier.
    """
    scope = [Intercept.created_at >= since] if since is not None else []
    grouped = session.execute(
        select(
            Intercept.courier,
            Intercept.status,
            func.count(),
            func.coalesce(func.sum(Intercept.goods_value_fen), 0),
        )
        .where(*scope)
        .group_by(Intercept.courier, Intercept.status)
    )
    result, couriers = InterceptStats(), dict[str, CourierStats]()
    for courier, status, count, value in grouped:
        row = couriers.setdefault(courier, CourierStats(courier))
        for target in (result, row):
            target.requests += count
            if status in SUCCESS:
                target.succeeded += count
                target.saved_fen += int(value)
            elif status == InterceptStatus.FAILED:
                target.failed += count
            else:
                target.pending += count
    result.by_courier = sorted(couriers.values(), key=lambda c: (-c.requests, c.courier))
    latencies = [
        (requested - refunded).total_seconds()
        for refunded, requested in session.execute(
            select(Intercept.refund_requested_at, Intercept.requested_at).where(
                Intercept.requested_at.is_not(None), *scope
            )
        )
        if requested is not None
    ]
    if latencies:
        result.median_seconds_to_request = statistics.median(latencies)
        result.mean_seconds_to_request = statistics.fmean(latencies)
    return result


def on_refund_requested(session: Session, event: RefundRequested) -> list[Intercept]:
    """The event handler's body, separate so the CLI and tests can call it directly."""
    return request_intercepts(
        session,
        order_id=event.order_id,
        refund_request_id=event.request_id,
        refund_requested_at=as_utc(event.requested_at),
    )
