"""Reactions of the reviews domain to other domains' events.

``TicketResolved`` -> the customer is invited to rate the service (the contract in
docs/contracts.md gives rating invitations to this domain). Importing ``channels`` here registers
the review-reply platform adapter wherever the models are loaded (app, worker, CLI).
"""

from sqlalchemy.orm import Session

from aftersales.kit.events import subscribe
from aftersales.reviews import channels, ratings
from aftersales.tickets.events import TicketResolved

__all__ = ["channels", "on_ticket_resolved"]


@subscribe(TicketResolved)
def on_ticket_resolved(session: Session, event: TicketResolved) -> None:
    ratings.invite_after_ticket(session, ticket_id=event.ticket_id)
