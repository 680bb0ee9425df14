"""Quick replies suggested where agents work: the ticket detail page and the QC chat view.

Those pages belong to domains above this one, so they show the suggestions as a registered
detail-page panel (``aftersales.web.panels``) and never import this package. The intent is the
one the bot recorded at hand-over, else the one detected in the customer's words; each snippet
is previewed with the order's variables, and using it counts against the snippet and the ticket.
"""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.conversations.models import ChatMessage, Sender
from aftersales.conversations.service import get_session
from aftersales.selfservice import quickreplies
from aftersales.selfservice.intents import get_intents, get_model
from aftersales.selfservice.models import QuickReply
from aftersales.tickets.service import get_ticket


@dataclass
class Suggestions:
    intent: str | None
    order_id: int | None
    ticket_id: int | None
    replies: list[tuple[QuickReply, str]] = field(default_factory=list)

    @property
    def intent_label(self) -> str:
        intents = get_intents()
        return intents[self.intent].label if self.intent in intents else "未识别"


def for_ticket(session: Session, *, ticket_id: int) -> Suggestions:
    ticket = get_ticket(session, ticket_id)
    intent = (ticket.data or {}).get("intent") or _detect(f"{ticket.title}\n{ticket.description}")
    return _suggest(session, intent, order_id=ticket.order_id, ticket_id=ticket.id)


def for_chat(session: Session, *, session_id: int) -> Suggestions:
    chat = get_session(session, session_id)
    last = session.scalar(
        select(ChatMessage.text)
        .where(ChatMessage.session_id == session_id, ChatMessage.sender == Sender.CUSTOMER)
        .order_by(ChatMessage.sent_at.desc(), ChatMessage.id.desc())
        .limit(1)
    )
    intent = _detect(last) if last else None
    return _suggest(session, intent, order_id=chat.order_id, ticket_id=chat.ticket_id)


def _detect(text: str) -> str:
    return get_model().predict(text).intent


def _suggest(
    session: Session, intent: str | None, *, order_id: int | None, ticket_id: int | None
) -> Suggestions:
    found = Suggestions(intent, order_id, ticket_id)
    if intent is not None:
        for reply in quickreplies.suggest(session, intent=intent, limit=3):
            found.replies.append((reply, quickreplies.render(session, reply=reply, order_id=order_id)))
    return found
