"""Reactions to other domains' events."""

from sqlalchemy.orm import Session

from aftersales.kit.events import subscribe
from aftersales.selfservice import service
from aftersales.tickets.events import TicketResolved


@subscribe(TicketResolved)
def close_portal_requests(session: Session, event: TicketResolved) -> None:
    """A resolved ticket completes the portal requests behind it; the customer is messaged."""
    service.complete_for_ticket(session, ticket_id=event.ticket_id)
