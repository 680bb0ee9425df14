"""Reactions to other domains' events (docs/contracts.md)."""

from sqlalchemy.orm import Session

from aftersales.kit.events import DomainEvent, subscribe
from aftersales.returns.refunds import on_intercept_resolved


@subscribe("logistics.intercept_resolved")
def release_refund_after_intercept(session: Session, event: DomainEvent) -> None:
    """Logistics tried to stop the parcel; the shop's rule decides whether the refund goes now."""
    request_id = event.payload.get("request_id")
    if request_id is None:
        return
    on_intercept_resolved(
        session,
        request_id=int(request_id),
        status=str(event.payload.get("status")),
        intercept_id=event.payload.get("intercept_id"),
    )
