"""Reactions to this domain's own events that belong to a separate aggregate (group collaboration)."""

from sqlalchemy.orm import Session

from aftersales.jobs import enqueue
from aftersales.kit.events import subscribe
from aftersales.tickets.collab import routed_card_groups
from aftersales.tickets.events import TicketCreated


@subscribe(TicketCreated)
def send_cards_to_routed_groups(session: Session, event: TicketCreated) -> None:
    """A routing rule that CCs a card group sends it the ticket's card, after commit: photos the
    creating request attaches after the ticket (the portal's) are on the ticket by then."""
    ticket_id = event.ticket_id
    if routed_card_groups(session, ticket_id):
        enqueue(
            session,
            "tickets.send_routed_cards",
            dedupe_key=f"tickets:routed-cards:{ticket_id}",
            ticket_id=ticket_id,
        )
