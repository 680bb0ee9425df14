"""Chat ingestion in real time (one message or a batch) and session reads."""

from typing import Annotated

from fastapi import APIRouter, Body

from aftersales.auth.deps import CurrentUser, RequireAgent, SessionDep
from aftersales.conversations import repository, service
from aftersales.conversations.models import Handling
from aftersales.conversations.schemas import (
    IngestResult,
    MessageIn,
    MessageRead,
    SessionDetail,
    SessionRead,
    TicketLink,
)
from aftersales.kit.pagination import Page, PageDep, paginate

router = APIRouter(prefix="/api/chats", tags=["conversations"])

BATCH_LIMIT = 5000


@router.post("/messages", response_model=IngestResult, summary="Ingest one chat message (idempotent)")
def ingest_message(session: SessionDep, _: RequireAgent, body: MessageIn) -> IngestResult:
    return service.ingest_messages(session, [body])


@router.post("/messages/batch", response_model=IngestResult)
def ingest_messages(
    session: SessionDep, _: RequireAgent, body: Annotated[list[MessageIn], Body(max_length=BATCH_LIMIT)]
) -> IngestResult:
    return service.ingest_messages(session, body)


@router.get("/sessions", response_model=Page[SessionRead])
def list_sessions(
    session: SessionDep,
    _: CurrentUser,
    page: PageDep,
    shop_id: int | None = None,
    agent_id: int | None = None,
    order_id: int | None = None,
    handling: Handling | None = None,
) -> Page[SessionRead]:
    statement = repository.session_search(
        shop_id=shop_id, agent_id=agent_id, order_id=order_id, handling=handling
    )
    rows, total = paginate(session, statement, page)
    return Page(
        items=[SessionRead.model_validate(r) for r in rows], total=total, page=page.page, size=page.size
    )


@router.get("/sessions/{session_id}", response_model=SessionDetail)
def get_session(session: SessionDep, user: CurrentUser, session_id: int) -> SessionDetail:
    chat = service.get_session(session, session_id)
    messages = [
        MessageRead.for_reader(m, reveal=user.may_see_pii) for m in repository.messages_of(session, chat.id)
    ]
    return SessionDetail.model_validate(
        {**SessionRead.model_validate(chat).model_dump(), "messages": messages}
    )


@router.put("/sessions/{session_id}/ticket", response_model=SessionRead)
def link_ticket(session: SessionDep, _: RequireAgent, session_id: int, body: TicketLink) -> SessionRead:
    return SessionRead.model_validate(
        service.link_ticket(session, session_id=session_id, ticket_id=body.ticket_id)
    )
