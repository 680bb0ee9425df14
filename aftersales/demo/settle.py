"""When the demo's system tickets were opened: the moment each one's cause arose.

The demo loads a fortnight in one go, so the tickets that logistics, returns and reviews open on
the way all carry the load's minute. Here each is given its cause's time, read from the owning
domain's rows: a parcel's finding when its rule's threshold passed (the time the rule measured
from plus the threshold), a refund or return when the buyer asked, a review an hour after it was
written (platform review syncs run hourly). ``tickets.demo.work_system_tickets`` then lets the
roster work them as it worked the fortnight's other tickets.
"""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.demo.context import DemoContext
from aftersales.logistics.models import ANY_COURIER, Anomaly, AnomalyRule
from aftersales.returns.models import ReturnRequest
from aftersales.reviews.models import Review
from aftersales.tickets.demo import work_system_tickets

REVIEW_SYNC_DELAY = timedelta(hours=1)


def settle_system_tickets(session: Session, ctx: DemoContext) -> int:
    opened = {**_returns(session), **_reviews(session), **_findings(session)}
    return work_system_tickets(session, ctx, opened)


def _findings(session: Session) -> dict[int, datetime]:
    """A parcel's ticket opened when its earliest finding's threshold passed."""
    thresholds = {
        kind: timedelta(hours=hours)
        for kind, hours in session.execute(
            select(AnomalyRule.kind, AnomalyRule.threshold_hours).where(AnomalyRule.courier == ANY_COURIER)
        )
    }
    opened: dict[int, datetime] = {}
    rows = session.execute(select(Anomaly.ticket_id, Anomaly.kind, Anomaly.observed_at))
    for ticket_id, kind, observed_at in rows:
        if ticket_id is None or observed_at is None:
            continue
        at = observed_at + thresholds.get(kind, timedelta(0))
        opened[ticket_id] = min(at, opened.get(ticket_id, at))
    return opened


def _returns(session: Session) -> dict[int, datetime]:
    rows = session.execute(select(ReturnRequest.ticket_id, ReturnRequest.requested_at))
    return {ticket_id: at for ticket_id, at in rows if ticket_id is not None}


def _reviews(session: Session) -> dict[int, datetime]:
    rows = session.execute(select(Review.ticket_id, Review.reviewed_at))
    return {ticket_id: at + REVIEW_SYNC_DELAY for ticket_id, at in rows if ticket_id is not None}
