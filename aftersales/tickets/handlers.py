"""Reactions to this domain's own events that belong to a separate aggregate (group collaboration)."""

from sqlalchemy.orm import Session

from aftersales.kit.events import DomainEvent, subscribe
from aftersales.tickets.collab import send_routed_cards


@subscribe("tickets.created")
def send_cards_to_routed_groups(session: Session, event: DomainEvent) -> None:
    """A routing rule that CCs a logistics or warehouse group sends it the ticket's card as well."""
    send_routed_cards(session, ticket_id=int(event.payload["ticket_id"]))
