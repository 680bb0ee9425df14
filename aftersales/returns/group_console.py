"""Console of the group collaboration: the 群协作 card on the ticket page (the group thread beside
the timeline, the edit-before-send card form with photos, one-click actions on replies) and the
supervisor's inbox (replies no ticket matched, group requests nobody answered, by age).

It lives in returns because the one-click actions call returns' and logistics' services; the
cards, replies and matching are the tickets domain's (``tickets.collab``).
"""

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aftersales.auth.deps import CurrentUser, RequireSupervisor, SessionDep
from aftersales.kit.errors import NotFoundError
from aftersales.returns.group_actions import apply_reply_action
from aftersales.tickets import collab, collab_replies
from aftersales.tickets.collab_models import TicketPhoto
from aftersales.tickets.service import get_ticket
from aftersales.web.panels import Panel, register_panel, render_panel
from aftersales.web.render import render

router = APIRouter(prefix="/groups")
BASE = "/console/returns/groups"
THREAD_PANEL = Panel("群协作", BASE + "/panels/ticket/{ticket_id}")
register_panel("ticket_detail", THREAD_PANEL)

PLATFORMS = {"feishu": "飞书", "dingtalk": "钉钉", "wecom": "企业微信"}
MATCHED_BY = {"thread": "按引用", "number": "按工单号", "tracking": "按运单号", "manual": "人工归档"}
SOURCES = {"buyer": "买家上传", "agent": "客服上传"}


def _back(ticket_id: int) -> Response:
    return RedirectResponse(f"/console/tickets/{ticket_id}", status_code=303)


@router.get("/panels/ticket/{ticket_id}", response_class=HTMLResponse)
def ticket_panel(request: Request, session: SessionDep, _: CurrentUser, ticket_id: int) -> Response:
    """The thread, the card form (fields prefilled for the first group) and the photos."""
    ticket = get_ticket(session, ticket_id)
    groups = collab.card_groups(session)
    fields = collab.card_fields(session, ticket, groups[0]) if groups else {}
    return render_panel(
        request,
        THREAD_PANEL,
        "returns/group_panel.html",
        ticket=ticket,
        thread=collab_replies.thread(session, ticket.id),
        groups=groups,
        fields=fields,
        photos=collab.photos_of(session, ticket.id),
        labels=collab_replies.ACTION_LABELS,
        platforms=PLATFORMS,
        matched_by=MATCHED_BY,
        sources=SOURCES,
    )


@router.post("/tickets/{ticket_id}/cards")
def send_card(
    session: SessionDep,
    user: CurrentUser,
    ticket_id: int,
    group_code: Annotated[str, Form()],
    order: Annotated[str, Form()],
    parcel: Annotated[str, Form()],
    courier: Annotated[str, Form()],
    problem: Annotated[str, Form()],
    ask: Annotated[str, Form()],
    photo_ids: Annotated[list[int] | None, Form()] = None,
) -> Response:
    """The card as the agent edited it, with the photos ticked."""
    fields = {"order": order, "parcel": parcel, "courier": courier, "problem": problem, "ask": ask}
    collab.send_card(
        session,
        ticket_id=ticket_id,
        group_code=group_code,
        fields=fields,
        photo_ids=photo_ids or [],
        actor_id=user.id,
    )
    return _back(ticket_id)


@router.post("/tickets/{ticket_id}/photos")
async def upload_photo(session: SessionDep, user: CurrentUser, ticket_id: int, photo: UploadFile) -> Response:
    """An agent's own photo (a screenshot of the courier's page, the warehouse's picture)."""
    get_ticket(session, ticket_id)
    collab.attach_photo(
        session,
        ticket_id=ticket_id,
        content=await photo.read(),
        source="agent",
        original_name=photo.filename,
        actor_id=user.id,
    )
    return _back(ticket_id)


@router.get("/photos/{photo_id}")
def photo(session: SessionDep, _: CurrentUser, photo_id: int) -> Response:
    found = session.get(TicketPhoto, photo_id)
    if found is None:
        raise NotFoundError("图片不存在")
    return Response(found.content, media_type=found.content_type)


@router.post("/replies/{reply_id}/apply")
def apply_action(session: SessionDep, user: CurrentUser, reply_id: int) -> Response:
    """One click: the reply's confirmation becomes the interception, reshipment or found parcel."""
    reply = collab_replies.get_reply(session, reply_id)
    apply_reply_action(session, reply_id=reply_id, actor=user)
    return _back(reply.ticket_id or 0)


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, session: SessionDep, _: RequireSupervisor) -> Response:
    return render(
        request,
        "returns/group_inbox.html",
        replies=collab_replies.unmatched_replies(session),
        cards=collab_replies.unanswered_cards(session),
        age=collab_replies.age_text,
        platforms=PLATFORMS,
    )


@router.post("/replies/{reply_id}/file")
def file_reply(
    session: SessionDep, user: RequireSupervisor, reply_id: int, ticket_id: Annotated[int, Form()]
) -> Response:
    """The supervisor files a reply no rule matched under the ticket it belongs to."""
    collab_replies.file_by_hand(session, reply_id=reply_id, ticket_id=ticket_id, actor_id=user.id)
    return RedirectResponse(f"{BASE}/inbox", status_code=303)
