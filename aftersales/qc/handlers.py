"""QC reacts to conversations: every batch of new messages is inspected in the same transaction."""

from sqlalchemy.orm import Session

from aftersales.kit.events import DomainEvent, subscribe
from aftersales.qc import service


@subscribe("conversations.messages_appended")
def inspect_new_messages(session: Session, event: DomainEvent) -> None:
    service.inspect(
        session,
        session_ids=list(event.payload.get("session_ids", [])),
        message_ids=list(event.payload.get("message_ids", [])),
    )
