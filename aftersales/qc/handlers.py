"""QC reacts to conversations: every batch of new messages is inspected in the same transaction."""

from sqlalchemy.orm import Session

from aftersales.conversations.events import MessagesAppended
from aftersales.kit.events import subscribe
from aftersales.qc import service


@subscribe(MessagesAppended)
def inspect_new_messages(session: Session, event: MessagesAppended) -> None:
    service.inspect(session, session_ids=list(event.session_ids), message_ids=list(event.message_ids))
