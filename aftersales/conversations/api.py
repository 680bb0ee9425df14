"""Chat ingestion in real time (one message or a batch), session reads, 推荐商品 on a chat, 跟单 of
unpaid orders and the shops' conversion windows."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Body

from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.conversations import conversion, followups, recommendations, repository, service
from aftersales.conversations.models import Handling
from aftersales.conversations.schemas import (
    DueOrderRead,
    FollowUpIn,
    FollowUpRead,
    IngestResult,
    MessageIn,
    MessageRead,
    RecommendationIn,
    RecommendationRead,
    SessionDetail,
    SessionRead,
    TicketLink,
    WindowsIn,
)
from aftersales.kit.pagination import Page, PageDep, paginate, paginate_rows
from aftersales.kit.time import utcnow

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


@router.post(
    "/sessions/{session_id}/recommendations",
    response_model=RecommendationRead,
    summary="推荐商品: record a product the agent recommended in this chat (idempotent per SKU)",
)
def recommend(
    session: SessionDep, user: RequireAgent, session_id: int, body: RecommendationIn
) -> RecommendationRead:
    chat = service.get_session(session, session_id)
    found = recommendations.recommend(session, chat=chat, sku_code=body.sku_code, agent_id=user.id)
    return RecommendationRead.model_validate(found)


@router.get("/follow-ups/due", response_model=Page[DueOrderRead], summary="Unpaid orders waiting for 跟单")
def due_follow_ups(
    session: SessionDep, _: RequireAgent, page: PageDep, shop_id: int | None = None
) -> Page[DueOrderRead]:
    rows, total = paginate_rows(session, followups.due(session, now=utcnow(), shop_id=shop_id), page)
    items = [
        DueOrderRead(
            order_id=order.id,
            order_no=order.source_id,
            shop_id=order.shop_id,
            buyer=buyer,
            total_fen=order.total_fen,
            ordered_at=order.ordered_at,
        )
        for order, buyer in rows
    ]
    return Page(items=items, total=total, page=page.page, size=page.size)


@router.post(
    "/follow-ups",
    response_model=FollowUpRead,
    summary="跟单 an unpaid order: send the 催付 message or record a manual follow-up (once per order)",
)
def follow_up(session: SessionDep, user: RequireAgent, body: FollowUpIn) -> FollowUpRead:
    made = followups.follow_up(
        session, order_id=body.order_id, agent_id=user.id, mode=body.mode, note=body.note
    )
    return FollowUpRead.model_validate(made)


@router.put("/conversion-settings/{shop_id}", response_model=WindowsIn)
def save_windows(session: SessionDep, _: RequireSupervisor, shop_id: int, body: WindowsIn) -> WindowsIn:
    return WindowsIn(**asdict(conversion.save_windows(session, shop_id=shop_id, values=body)))
