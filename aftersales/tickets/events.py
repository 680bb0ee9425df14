"""Events the tickets domain publishes (subscribers sit above it: reviews, selfservice)."""

from dataclasses import dataclass

from aftersales.kit.events import DomainEvent


@dataclass(frozen=True)
class TicketCreated(DomainEvent):
    ticket_id: int


@dataclass(frozen=True)
class TicketResolved(DomainEvent):
    """The ticket reached 已解决: the customer is invited to rate it, portal requests complete."""

    ticket_id: int
