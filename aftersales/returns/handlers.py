"""Reactions to other domains' events (docs/contracts.md)."""

from sqlalchemy.orm import Session

from aftersales.kit.events import subscribe
from aftersales.logistics.events import InterceptResolved
from aftersales.returns.refunds import on_intercept_resolved


@subscribe(InterceptResolved)
def release_refund_after_intercept(session: Session, event: InterceptResolved) -> None:
    """Logistics tried to stop the parcel; the shop's rule decides whether the refund goes now."""
    if event.request_id is None:
        return
    on_intercept_resolved(
        session, request_id=event.request_id, status=event.status, intercept_id=event.intercept_id
    )
