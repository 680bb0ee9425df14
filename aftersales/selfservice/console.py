"""Agents' quick-reply page (search by keyword or /shortcut, suggestions by intent, use = render
with the order's variables and count); the customer portal's routes are added to this router."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from aftersales.auth.deps import CurrentUser, SessionDep
from aftersales.kit.errors import NotFoundError
from aftersales.kit.pagination import PageParams, paginate
from aftersales.selfservice import portal, quickreplies, repository, service
from aftersales.selfservice.intents import get_intents
from aftersales.selfservice.models import PortalUpload, RequestStatus
from aftersales.selfservice.uploads import upload_path
from aftersales.web.render import NavItem, render

router = APIRouter(include_in_schema=False)
console = APIRouter(prefix="/console/selfservice", include_in_schema=False)

NAV = [
    NavItem("自助申请", "/console/selfservice/requests"),
    NavItem("快捷话术", "/console/selfservice/quick-replies"),
]


@console.get("/quick-replies", response_class=HTMLResponse)
def quick_replies(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    q: str | None = None,
    text: str | None = None,
    order_id: str | None = None,
) -> Response:
    """Search, or paste the customer's message to get the snippets for its intent."""
    rows, total = paginate(session, repository.quick_reply_search(query=q), PageParams(page=1, size=50))
    suggested = quickreplies.suggest(session, text=text) if text else []
    template = (
        "selfservice/_quick_rows.html"
        if request.headers.get("HX-Request")
        else "selfservice/quick_replies.html"
    )
    return render(
        request,
        template,
        replies=rows,
        total=total,
        suggested=suggested,
        q=q or "",
        text=text or "",
        order_id=_order_id(order_id),
        intents={code: intent.label for code, intent in get_intents().items()},
    )


@console.post("/quick-replies/{reply_id}/use", response_class=HTMLResponse)
def use_quick_reply(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    reply_id: int,
    order_id: Annotated[str | None, Form()] = None,
) -> Response:
    reply, text = quickreplies.use(
        session, reply_id=reply_id, user_id=user.id, order_id=_order_id(order_id), ticket_id=None
    )
    return render(request, "selfservice/_rendered.html", reply=reply, text=text)


@console.get("/requests", response_class=HTMLResponse)
def requests_page(
    request: Request, session: SessionDep, user: CurrentUser, status: str | None = None, page: int = 1
) -> Response:
    """Portal requests newest first, and the return tasks (pickups, runners, self-sends) to work."""
    params = PageParams(page=max(1, page), size=50)
    rows, total = paginate(session, repository.request_list(status=status or None), params)
    return render(
        request,
        "selfservice/requests.html",
        rows=rows,
        total=total,
        page=params,
        status=status or "",
        statuses=list(RequestStatus),
        tasks=repository.open_tasks(session),
        orders=repository.order_numbers(session, [r.order_id for r in rows]),
    )


@console.post("/requests/{request_id}/advance")
def advance_request(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    request_id: int,
    status: Annotated[RequestStatus, Form()],
    message: Annotated[str, Form(min_length=1, max_length=500)],
) -> Response:
    service.advance(session, request_id=request_id, status=status, message=message)
    return RedirectResponse("/console/selfservice/requests", status_code=303)


@console.get("/uploads/{upload_id}")
def upload_file(session: SessionDep, user: CurrentUser, upload_id: int) -> Response:
    """A customer's photo, for the agent handling the request (never publicly reachable)."""
    upload = session.get(PortalUpload, upload_id)
    if upload is None or not upload_path(upload.stored_name).is_file():
        raise NotFoundError("图片不存在")
    return FileResponse(upload_path(upload.stored_name), media_type=upload.content_type)


def _order_id(raw: str | None) -> int | None:
    """The optional order box: blank means no order (variables render empty)."""
    return int(raw) if raw and raw.strip().isdigit() else None


router.include_router(console)
router.include_router(portal.router)
