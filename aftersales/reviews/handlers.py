"""Reactions of the reviews domain to other domains' events.

``TicketResolved`` -> the customer is invited to rate the service (the contract in
docs/contracts.md gives rating invitations to this domain). Importing ``channels`` and
``platform_intake`` here registers the review-reply platform adapter and the intake of the
platforms' review sync wherever the models are loaded (app, worker, CLI).
"""

from sqlalchemy.orm import Session

from aftersales.kit.events import subscribe
from aftersales.reviews import channels, platform_intake, ratings
from aftersales.tickets.events import TicketResolved

__all__ = ["channels", "on_ticket_resolved", "platform_intake"]


@subscribe(TicketResolved)
def on_ticket_resolved(session: Session, event: TicketResolved) -> None:
    ratings.invite_after_ticket(session, ticket_id=event.ticket_id)
