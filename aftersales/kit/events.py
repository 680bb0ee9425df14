"""Domain events: how one package reacts to another without the publisher knowing who listens.

An event is a frozen dataclass whose fields are its payload, one class per kind of event,
defined beside its publisher (``tickets/events.py``, ``orders/events.py``, …) so a subscriber
imports it from the package below; handlers subscribe by class. The two events a lower package
reacts to while the publisher sits above it (logistics reacting to returns and conversations)
are defined here, since the subscriber may not import its publisher.

Handlers run synchronously inside the publisher's transaction, so a reaction and its cause
commit or roll back together. Slow work belongs in a job that the handler enqueues.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class DomainEvent:
    """Base of every event class."""


E = TypeVar("E", bound=DomainEvent)
Handler = Callable[[Session, E], None]

_handlers: dict[type[DomainEvent], list[Handler[Any]]] = defaultdict(list)


def subscribe(kind: type[E]) -> Callable[[Handler[E]], Handler[E]]:
    """Register the handler for events of exactly ``kind`` (once, however often it is imported)."""

    def register(handler: Handler[E]) -> Handler[E]:
        if handler not in _handlers[kind]:
            _handlers[kind].append(handler)
        return handler

    return register


def publish(session: Session, event: DomainEvent) -> None:
    """Run every handler of the event's class, in subscription order, in the caller's transaction."""
    for handler in list(_handlers[type(event)]):
        handler(session, event)


@dataclass(frozen=True)
class RefundRequested(DomainEvent):
    """returns: a refund (not an exchange) was requested; logistics intercepts parcels in transit."""

    order_id: int
    request_id: int
    requested_at: datetime


@dataclass(frozen=True)
class CustomerMessage:
    """One buyer chat message, as the domains reacting to chats need it."""

    message_id: int
    shop_id: int
    customer_account: str | None
    order_id: int | None
    text: str
    sent_at: datetime


@dataclass(frozen=True)
class CustomerMessagesArrived(DomainEvent):
    """conversations: buyers' messages were stored; logistics reads care replies from them."""

    messages: tuple[CustomerMessage, ...]
