"""Reactions to other domains' events, and the portal pages messages may link to."""

from collections.abc import Callable

from sqlalchemy.orm import Session

from aftersales.kit.events import subscribe
from aftersales.messaging.links import register_link
from aftersales.returns.events import RefundPaid
from aftersales.selfservice import access, invoices, service, surveys
from aftersales.selfservice.settings import get_selfservice_settings
from aftersales.tickets.events import TicketResolved


def _page_link(target: str) -> Callable[[int], str]:
    """The signed portal link to one of the order's pages, as a message prints it."""

    def build(order_id: int) -> str:
        return f"{get_selfservice_settings().public_base_url}{access.portal_path(order_id)}/{target}"

    return build


register_link("invoice_link", _page_link("invoice"))
register_link("survey_link", _page_link("survey"))


@subscribe(TicketResolved)
def close_portal_requests(session: Session, event: TicketResolved) -> None:
    """A resolved ticket completes the portal requests behind it; the customer is messaged."""
    service.complete_for_ticket(session, ticket_id=event.ticket_id)


@subscribe(TicketResolved)
def survey_resolved_ticket(session: Session, event: TicketResolved) -> None:
    """A resolved ticket's buyer is sent the shop's questionnaire (once per ticket)."""
    surveys.invite_for_ticket(session, ticket_id=event.ticket_id)


@subscribe(RefundPaid)
def correct_invoices(session: Session, event: RefundPaid) -> None:
    """Money handed back after an invoice was issued: the invoice is voided and re-issued net."""
    invoices.follow_refund(session, order_id=event.order_id)
