"""Events the returns domain publishes when money goes back to a buyer (self-service reacts)."""

from dataclasses import dataclass

from aftersales.kit.events import DomainEvent


@dataclass(frozen=True)
class RefundPaid(DomainEvent):
    """Money was handed back on the order (a refund, an early refund or a 保价 difference), so
    what the buyer paid net is less: an invoice issued for the old amount must be corrected."""

    order_id: int
    payout_id: int
