"""Every query of the returns domain, including the set-based ledger and conversion reports."""

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Sku
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Order, Shipment, TrackingStatus
from aftersales.returns.models import (
    ApprovalStatus,
    Compensation,
    CompensationApproval,
    GiftStatus,
    Outcome,
    PayoutKind,
    RefundState,
    RequestKind,
    RequestStatus,
    Reshipment,
    RetentionOffer,
    ReturnPolicy,
    ReturnRequest,
    SopUpgrade,
    WindowExtension,
)
from aftersales.web.sorting import SortChoice

SETTLED_PARCEL = (TrackingStatus.DELIVERED, TrackingStatus.RETURNED)


def policy_row(session: Session, shop_id: int) -> ReturnPolicy | None:
    return session.scalar(select(ReturnPolicy).where(ReturnPolicy.shop_id == shop_id))


def request_by_source(session: Session, platform: str, source_id: str) -> ReturnRequest | None:
    return session.scalar(
        select(ReturnRequest).where(ReturnRequest.platform == platform, ReturnRequest.source_id == source_id)
    )


def sku_by_code(session: Session, shop_id: int, code: str) -> Sku | None:
    return session.scalar(select(Sku).where(Sku.shop_id == shop_id, Sku.code == code))


def _return_parcels() -> Select[Any]:
    return select(ReturnRequest.return_shipment_id).where(ReturnRequest.return_shipment_id.is_not(None))


def outbound_parcels(order_id: int) -> Select[Any]:
    """The order's parcels to the customer: customers' return parcels are rows of the same table."""
    return select(Shipment).where(Shipment.order_id == order_id, Shipment.id.not_in(_return_parcels()))


def delivered_at(session: Session, order_id: int) -> datetime | None:
    """When the last outbound parcel arrived; the 7-day no-reason window starts there."""
    parcels = outbound_parcels(order_id).subquery()
    return session.scalar(select(func.max(parcels.c.delivered_at)))


def has_parcel_in_transit(session: Session, order_id: int) -> bool:
    """Shipped and not yet delivered or back: the parcel logistics will try to intercept."""
    parcels = outbound_parcels(order_id).subquery()
    unsettled = and_(
        parcels.c.delivered_at.is_(None),
        (parcels.c.status.is_(None)) | (parcels.c.status.not_in([str(s) for s in SETTLED_PARCEL])),
    )
    return bool(session.scalar(select(func.count()).select_from(parcels).where(unsettled)))


def compensated_fen(session: Session, order_id: int) -> int:
    """Compensation already paid on the order (refunds of the goods themselves do not count)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Compensation.amount_fen), 0)).where(
            Compensation.order_id == order_id, Compensation.kind == PayoutKind.COMPENSATION
        )
    )
    return int(total or 0)


# Money handed back out of what the buyer paid: a price difference refunded (保价) leaves that much
# less to refund for the goods, so refunds and differences together never exceed the paid amount.
REFUND_KINDS = (PayoutKind.REFUND, PayoutKind.EARLY_REFUND, PayoutKind.PRICE_PROTECTION)


def refunded_fen(session: Session, order_id: int) -> int:
    """Money already handed back on the order: refunds, early refunds and price differences."""
    total = session.scalar(
        select(func.coalesce(func.sum(Compensation.amount_fen), 0)).where(
            Compensation.order_id == order_id, Compensation.kind.in_(REFUND_KINDS)
        )
    )
    return int(total or 0)


def pending_refund_fen(session: Session, order_id: int) -> int:
    """What open requests of the order still ask back (not yet refunded, not exchanges)."""
    total = session.scalar(
        select(func.coalesce(func.sum(ReturnRequest.refund_fen), 0)).where(
            ReturnRequest.order_id == order_id,
            ReturnRequest.status.in_([RequestStatus.OPEN, RequestStatus.RETAINING]),
            ReturnRequest.refund_state != RefundState.RELEASED,
        )
    )
    return int(total or 0)


def pending_approval_fen(session: Session, order_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(CompensationApproval.amount_fen), 0)).where(
            CompensationApproval.order_id == order_id, CompensationApproval.status == ApprovalStatus.PENDING
        )
    )
    return int(total or 0)


def extended_days(session: Session, order_id: int) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(WindowExtension.days), 0)).where(WindowExtension.order_id == order_id)
    )
    return int(total or 0)


def open_request_like(
    session: Session, *, order_id: int, kind: RequestKind, sku_id: int | None
) -> ReturnRequest | None:
    """An open request of the same kind for the same goods: a second one is the same request."""
    sku = ReturnRequest.sku_id.is_(None) if sku_id is None else ReturnRequest.sku_id == sku_id
    return session.scalar(
        select(ReturnRequest)
        .where(
            ReturnRequest.order_id == order_id,
            ReturnRequest.kind == kind,
            sku,
            ReturnRequest.status.in_([RequestStatus.OPEN, RequestStatus.RETAINING]),
        )
        .order_by(ReturnRequest.id)
        .limit(1)
    )


def order_of_request(session: Session, request_id: int) -> int | None:
    return session.scalar(select(ReturnRequest.order_id).where(ReturnRequest.id == request_id))


def order_of_approval(session: Session, approval_id: int) -> int | None:
    return session.scalar(select(CompensationApproval.order_id).where(CompensationApproval.id == approval_id))


def earlier_requests(session: Session, *, customer_id: int, since: datetime, exclude_id: int) -> int:
    return int(
        session.scalar(
            select(func.count()).where(
                ReturnRequest.customer_id == customer_id,
                ReturnRequest.requested_at >= since,
                ReturnRequest.id != exclude_id,
            )
        )
        or 0
    )


def offers_of(session: Session, request_id: int) -> list[RetentionOffer]:
    statement = (
        select(RetentionOffer).where(RetentionOffer.request_id == request_id).order_by(RetentionOffer.rank)
    )
    return list(session.scalars(statement))


def upgrades_of(session: Session, request_id: int) -> list[SopUpgrade]:
    return list(
        session.scalars(select(SopUpgrade).where(SopUpgrade.request_id == request_id).order_by(SopUpgrade.id))
    )


def pending_gifts(session: Session, *, limit: int = 100) -> list[tuple[SopUpgrade, str]]:
    """Gifts held by the customer's caps, oldest first, with their order numbers."""
    rows = session.execute(
        select(SopUpgrade, Order.source_id)
        .join(ReturnRequest, ReturnRequest.id == SopUpgrade.request_id)
        .join(Order, Order.id == ReturnRequest.order_id)
        .where(SopUpgrade.action == "gift", SopUpgrade.status == GiftStatus.PENDING)
        .order_by(SopUpgrade.id)
        .limit(limit)
    )
    return [(upgrade, order_no) for upgrade, order_no in rows]


def payouts_of(session: Session, order_id: int) -> list[Compensation]:
    statement = select(Compensation).where(Compensation.order_id == order_id).order_by(Compensation.id)
    return list(session.scalars(statement))


# The orders the return queue offers besides its default (oldest request first).
SORTS = {
    "requested_desc": SortChoice(
        "申请时间(新→旧)", (ReturnRequest.requested_at.desc(), ReturnRequest.id.desc())
    ),
    "refund_desc": SortChoice("退款金额(高→低)", (ReturnRequest.refund_fen.desc(), ReturnRequest.id)),
}


def queue(
    *,
    status: RequestStatus | None = None,
    shop_id: int | None = None,
    kind: RequestKind | None = None,
    order_no: str | None = None,
) -> Select[Any]:
    """The return queue: open work first, oldest first, so nothing waits at the bottom. An order
    number an agent pasted finds that order's requests whatever their state, unless one is chosen."""
    statement = select(ReturnRequest)
    if order_no:
        by_number = select(Order.id).where(Order.source_id == order_no.strip())
        statement = statement.where(ReturnRequest.order_id.in_(by_number))
    if status is not None:
        statement = statement.where(ReturnRequest.status == status)
    elif not order_no:
        statement = statement.where(ReturnRequest.status.in_([RequestStatus.OPEN, RequestStatus.RETAINING]))
    if shop_id is not None:
        statement = statement.where(ReturnRequest.shop_id == shop_id)
    if kind is not None:
        statement = statement.where(ReturnRequest.kind == kind)
    return statement.order_by(ReturnRequest.requested_at, ReturnRequest.id)


def approvals(*, status: ApprovalStatus | None = ApprovalStatus.PENDING) -> Select[Any]:
    statement = select(CompensationApproval).order_by(
        CompensationApproval.created_at, CompensationApproval.id
    )
    if status is not None:
        statement = statement.where(CompensationApproval.status == status)
    return statement


def approvals_of(session: Session, request_id: int) -> list[CompensationApproval]:
    """Every approval asked for one request, whatever its state, oldest first."""
    statement = approvals(status=None).where(CompensationApproval.request_id == request_id)
    return list(session.scalars(statement))


def recent_decisions(session: Session, *, limit: int) -> list[CompensationApproval]:
    statement = (
        select(CompensationApproval)
        .where(CompensationApproval.status != ApprovalStatus.PENDING)
        .order_by(CompensationApproval.decided_at.desc(), CompensationApproval.id.desc())
        .limit(limit)
    )
    return list(session.scalars(statement))


def ledger(*, since: datetime | None = None, until: datetime | None = None) -> Select[Any]:
    statement = select(Compensation).order_by(Compensation.paid_at.desc(), Compensation.id.desc())
    return _paid_between(statement, since, until)


def recent_payouts(session: Session, *, limit: int = 50) -> list[Compensation]:
    return list(session.scalars(ledger().limit(limit)))


def _paid_between(statement: Any, since: datetime | None, until: datetime | None) -> Any:
    if since is not None:
        statement = statement.where(Compensation.paid_at >= since)
    if until is not None:
        statement = statement.where(Compensation.paid_at < until)
    return statement


def ledger_totals(
    session: Session, *, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Totals per agent, reason and payout kind in one GROUP BY."""
    statement = select(
        Compensation.agent_id,
        Compensation.reason_code,
        Compensation.kind,
        func.count().label("payouts"),
        func.sum(Compensation.amount_fen).label("amount_fen"),
    ).group_by(Compensation.agent_id, Compensation.reason_code, Compensation.kind)
    statement = _paid_between(statement, since, until).order_by(func.sum(Compensation.amount_fen).desc())
    return [dict(row._mapping) for row in session.execute(statement)]


def _count_when(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def conversion_report(
    session: Session, *, by: str = "agent", since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Retention conversion per agent, SKU or reason: return -> exchange, exchange -> compensation.

    Only non-quality requests count (retention is not attempted on defects). One pass, one GROUP BY.
    """
    key = {"agent": ReturnRequest.agent_id, "sku": ReturnRequest.sku_id, "reason": ReturnRequest.reason_code}[
        by
    ]
    is_return = ReturnRequest.kind == RequestKind.RETURN
    is_exchange = ReturnRequest.kind == RequestKind.EXCHANGE
    statement = (
        select(
            key.label("key"),
            func.count().label("requests"),
            _count_when(is_return).label("returns"),
            _count_when(and_(is_return, ReturnRequest.outcome == Outcome.EXCHANGED)).label(
                "return_to_exchange"
            ),
            _count_when(and_(is_return, ReturnRequest.outcome == Outcome.COMPENSATED)).label(
                "return_to_compensation"
            ),
            _count_when(and_(is_return, ReturnRequest.outcome == Outcome.GUIDED)).label("return_to_guidance"),
            _count_when(is_exchange).label("exchanges"),
            _count_when(and_(is_exchange, ReturnRequest.outcome == Outcome.COMPENSATED)).label(
                "exchange_to_compensation"
            ),
        )
        .where(ReturnRequest.is_quality.is_(False))
        .group_by(key)
        .order_by(func.count().desc())
    )
    if since is not None:
        statement = statement.where(ReturnRequest.requested_at >= since)
    if until is not None:
        statement = statement.where(ReturnRequest.requested_at < until)
    return [_with_rates(dict(row._mapping)) for row in session.execute(statement)]


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    returns, exchanges = int(row["returns"] or 0), int(row["exchanges"] or 0)
    row["return_to_exchange_rate"] = (row["return_to_exchange"] or 0) / returns if returns else None
    row["exchange_to_compensation_rate"] = (
        (row["exchange_to_compensation"] or 0) / exchanges if exchanges else None
    )
    retained = (
        (row["return_to_exchange"] or 0)
        + (row["return_to_compensation"] or 0)
        + (row["return_to_guidance"] or 0)
    )
    row["retained_rate"] = retained / returns if returns else None
    return row


def reshipments_with_sync() -> Select[Reshipment, OutboxMessage]:
    """Reshipments with their outbox row: the ERP sync state is the outbox's own state."""
    return (
        select(Reshipment, OutboxMessage)
        .outerjoin(OutboxMessage, OutboxMessage.idempotency_key == Reshipment.outbox_key)
        .order_by(Reshipment.created_at.desc(), Reshipment.id.desc())
    )
