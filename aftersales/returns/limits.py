"""Abuse limits (seed 004 四: 触发特定条件和执行标准避免滥用): what one customer received lately.

Automatic gifts and an agent's compensation are capped per customer over 30 and 90 days (the
shop's policy); above a cap a supervisor approves. A customer with many after-sales requests in
30 days is flagged as a serial returner on the order and ticket pages. Every figure is read on the
server at decision time, whatever a page showed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.orders.models import Order
from aftersales.returns.errors import CustomerCapError
from aftersales.returns.models import (
    SENDABLE_GIFTS,
    Compensation,
    PayoutKind,
    ReturnRequest,
    SopUpgrade,
)
from aftersales.returns.policy import Policy, yuan

WINDOWS = (30, 90)


@dataclass(frozen=True)
class CustomerRecord:
    """What one customer received and asked for in the last 30 and 90 days."""

    requests_30d: int
    gifts: dict[int, int]
    compensation_fen: dict[int, int]
    serial_returner: bool


def gifts_since(session: Session, customer_id: int, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.count(SopUpgrade.id))
            .join(ReturnRequest, ReturnRequest.id == SopUpgrade.request_id)
            .where(
                ReturnRequest.customer_id == customer_id,
                SopUpgrade.action == "gift",
                SopUpgrade.status.in_(SENDABLE_GIFTS),
                SopUpgrade.created_at >= since,
            )
        )
        or 0
    )


def compensated_since(session: Session, customer_id: int, since: datetime) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Compensation.amount_fen), 0))
            .join(Order, Order.id == Compensation.order_id)
            .where(
                Order.customer_id == customer_id,
                Compensation.kind == PayoutKind.COMPENSATION,
                Compensation.paid_at >= since,
            )
        )
        or 0
    )


def requests_since(session: Session, customer_id: int, since: datetime) -> int:
    statement = select(func.count(ReturnRequest.id)).where(
        ReturnRequest.customer_id == customer_id, ReturnRequest.requested_at >= since
    )
    return int(session.scalar(statement) or 0)


def customer_record(
    session: Session, customer_id: int, policy: Policy, *, now: datetime | None = None
) -> CustomerRecord:
    now = now or utcnow()
    requests = requests_since(session, customer_id, now - timedelta(days=30))
    return CustomerRecord(
        requests_30d=requests,
        gifts={d: gifts_since(session, customer_id, now - timedelta(days=d)) for d in WINDOWS},
        compensation_fen={
            d: compensated_since(session, customer_id, now - timedelta(days=d)) for d in WINDOWS
        },
        serial_returner=policy.serial_returner_requests > 0 and requests >= policy.serial_returner_requests,
    )


def gift_cap_reason(record: CustomerRecord, policy: Policy) -> str | None:
    """Why an automatic gift needs a supervisor now, or ``None`` when it may go out at once."""
    if record.serial_returner:
        return f"客户近30天已有 {record.requests_30d} 次售后申请(频繁退换客户)"
    for days, cap in ((30, policy.gift_cap_30d), (90, policy.gift_cap_90d)):
        if record.gifts[days] >= cap:
            return f"客户近{days}天已获赠 {record.gifts[days]} 次礼品,达到每客户{days}天上限 {cap} 次"
    return None


def check_compensation_cap(record: CustomerRecord, policy: Policy, amount_fen: int) -> None:
    """An agent's payout that would take the customer past a cap waits for a supervisor (409)."""
    for days, cap in ((30, policy.compensation_cap_30d_fen), (90, policy.compensation_cap_90d_fen)):
        if record.compensation_fen[days] + amount_fen > cap:
            raise CustomerCapError(
                f"客户近{days}天已获补偿 {yuan(record.compensation_fen[days])},再补偿 {yuan(amount_fen)} "
                f"将超过每客户{days}天上限 {yuan(cap)},请提交主管审批"
            )
