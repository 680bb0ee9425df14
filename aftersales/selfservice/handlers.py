"""Reactions to other domains' events."""

from sqlalchemy.orm import Session

from aftersales.kit.events import DomainEvent, subscribe
from aftersales.selfservice import service


@subscribe("tickets.resolved")
def close_portal_requests(session: Session, event: DomainEvent) -> None:
    """A resolved ticket completes the portal requests behind it; the customer is messaged."""
    service.complete_for_ticket(session, ticket_id=int(event.payload["ticket_id"]))
