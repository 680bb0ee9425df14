"""Domain events: how one package reacts to another without importing it.

Handlers run synchronously inside the publisher's transaction, so a reaction and its cause
commit or roll back together. Slow work belongs in a job that the handler enqueues.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

Handler = Callable[[Session, "DomainEvent"], None]

_handlers: dict[str, list[Handler]] = defaultdict(list)


@dataclass(frozen=True)
class DomainEvent:
    name: str
    payload: dict[str, Any] = field(default_factory=dict)


def subscribe(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if handler not in _handlers[name]:
            _handlers[name].append(handler)
        return handler

    return register


def publish(session: Session, name: str, **payload: Any) -> None:
    event = DomainEvent(name, payload)
    for handler in list(_handlers[name]):
        handler(session, event)
