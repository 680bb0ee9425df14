"""Events the conversations domain publishes (``CustomerMessagesArrived`` lives in ``kit.events``:
logistics, below conversations, reacts to it)."""

from dataclasses import dataclass

from aftersales.kit.events import DomainEvent


@dataclass(frozen=True)
class MessagesAppended(DomainEvent):
    """Messages were added to these chat sessions (QC inspects them in the same transaction)."""

    session_ids: tuple[int, ...]
    message_ids: tuple[int, ...]
