"""Agents' quick-reply page (search by keyword or /shortcut, suggestions by intent, use = render
with the order's variables and count); the customer portal's routes are added to this router."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.auth.models import Role
from aftersales.catalog import repository as catalog_repository
from aftersales.kit.errors import InvalidInputError, NotFoundError
from aftersales.kit.pagination import PageParams, paginate
from aftersales.orders.couriers import COURIERS
from aftersales.selfservice import (
    faq,
    invoices,
    knowledge_console,
    portal,
    quickreplies,
    repository,
    service,
    suggestions,
    survey_console,
)
from aftersales.selfservice.errors import InvoiceNotFoundError
from aftersales.selfservice.intents import get_intents
from aftersales.selfservice.models import Invoice, PortalUpload, RequestKind, RequestStatus
from aftersales.selfservice.schemas import InvoiceRegistration
from aftersales.selfservice.uploads import upload_path
from aftersales.web.panels import Panel, register_panel, render_panel
from aftersales.web.render import NavItem, render

router = APIRouter(include_in_schema=False)
console = APIRouter(prefix="/console/selfservice", include_in_schema=False)

NAV = [
    NavItem("自助申请", "/console/selfservice/requests", group="售后"),
    NavItem("快捷话术", "/console/selfservice/quick-replies", group="工单"),
    NavItem("机器人问答", "/console/selfservice/faq", Role.SUPERVISOR, group="设置"),
    *knowledge_console.NAV,
    *survey_console.NAV,
]
TICKET_PANEL = Panel("推荐话术", "/console/selfservice/panels/ticket/{ticket_id}")
CHAT_PANEL = Panel("推荐话术", "/console/selfservice/panels/chat/{session_id}")
register_panel("ticket_detail", TICKET_PANEL)
register_panel("qc_session", CHAT_PANEL)


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
        order_id=_optional_id(order_id),
        intents={code: intent.label for code, intent in get_intents().items()},
    )


@console.post("/quick-replies/{reply_id}/use", response_class=HTMLResponse)
def use_quick_reply(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    reply_id: int,
    order_id: Annotated[str | None, Form()] = None,
    ticket_id: Annotated[str | None, Form()] = None,
) -> Response:
    reply, text = quickreplies.use(
        session,
        reply_id=reply_id,
        user_id=user.id,
        order_id=_optional_id(order_id),
        ticket_id=_optional_id(ticket_id),
    )
    return render(request, "selfservice/_rendered.html", reply=reply, text=text)


@console.get("/panels/ticket/{ticket_id}", response_class=HTMLResponse)
def ticket_panel(request: Request, session: SessionDep, user: CurrentUser, ticket_id: int) -> Response:
    """The ticket page's 推荐话术 card (a registered detail-page panel)."""
    found = suggestions.for_ticket(session, ticket_id=ticket_id)
    return render_panel(request, TICKET_PANEL, "selfservice/_suggestions.html", found=found)


@console.get("/panels/chat/{session_id}", response_class=HTMLResponse)
def chat_panel(request: Request, session: SessionDep, user: CurrentUser, session_id: int) -> Response:
    """The QC chat view's 推荐话术 card, by the intent of the customer's last message."""
    found = suggestions.for_chat(session, session_id=session_id)
    return render_panel(request, CHAT_PANEL, "selfservice/_suggestions.html", found=found)


@console.get("/faq", response_class=HTMLResponse)
def faq_page(
    request: Request, session: SessionDep, user: RequireSupervisor, shop_id: str | None = None
) -> Response:
    """The bot's answers per intent for one shop (or the default every shop falls back to)."""
    shop = _optional_id(shop_id)
    return render(
        request,
        "selfservice/faq.html",
        answers=faq.shop_faq(session, shop_id=shop),
        shops=catalog_repository.shops(session),
        shop_id=shop,
    )


@console.post("/faq/{intent}")
def save_faq_answer(
    session: SessionDep,
    user: RequireSupervisor,
    intent: str,
    answer: Annotated[str, Form(min_length=1, max_length=2000)],
    shop_id: Annotated[str | None, Form()] = None,
) -> Response:
    shop = _optional_id(shop_id)
    faq.save_answer(session, shop_id=shop, intent=intent, answer=answer.strip(), user_id=user.id)
    return RedirectResponse(_faq_url(shop), status_code=303)


@console.post("/faq/{intent}/reset")
def reset_faq_answer(
    session: SessionDep, user: RequireSupervisor, intent: str, shop_id: Annotated[int, Form()]
) -> Response:
    faq.reset_answer(session, shop_id=shop_id, intent=intent)
    return RedirectResponse(_faq_url(shop_id), status_code=303)


def _faq_url(shop_id: int | None) -> str:
    return "/console/selfservice/faq" + (f"?shop_id={shop_id}" if shop_id is not None else "")


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
        couriers=COURIERS,
        invoices=invoices.state_of(session, [r.id for r in rows if r.kind == RequestKind.INVOICE]),
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
    service.advance(session, request_id=request_id, status=status, message=message, actor_id=user.id)
    return RedirectResponse("/console/selfservice/requests", status_code=303)


@console.post("/requests/{request_id}/invoice")
def issue_invoice(session: SessionDep, user: RequireAgent, request_id: int) -> Response:
    """开具: issue the registration's invoice and complete the request (the buyer is told)."""
    service.issue_invoice(session, request_id=request_id, actor_id=user.id)
    return RedirectResponse("/console/selfservice/requests", status_code=303)


@console.post("/requests/{request_id}/invoice/reissue")
def reissue_invoice(
    session: SessionDep,
    user: RequireAgent,
    request_id: int,
    invoice_type: Annotated[str, Form()],
    title: Annotated[str, Form()],
    tax_id: Annotated[str, Form()] = "",
) -> Response:
    """重开: the corrected title or tax id; the live invoice is voided (红冲) and a new one issued."""
    values = {"invoice_type": invoice_type, "title": title.strip(), "tax_id": tax_id.strip() or None}
    try:
        data = InvoiceRegistration.model_validate(values)
    except ValidationError as exc:
        field, message = next(iter(portal.field_errors(exc).items()))
        raise InvalidInputError(field, message) from None
    invoices.reissue(session, request_id=request_id, data=data, actor_id=user.id)
    return RedirectResponse("/console/selfservice/requests", status_code=303)


@console.get("/invoices/{invoice_id}.pdf")
def invoice_pdf(session: SessionDep, user: RequireAgent, invoice_id: int) -> Response:
    """An issued invoice as the buyer received it, for the agent handling the registration."""
    found = session.get(Invoice, invoice_id)
    if found is None:
        raise InvoiceNotFoundError()
    return Response(found.pdf, media_type="application/pdf")


@console.get("/uploads/{upload_id}")
def upload_file(session: SessionDep, user: CurrentUser, upload_id: int) -> Response:
    """A customer's photo, for the agent handling the request (never publicly reachable)."""
    upload = session.get(PortalUpload, upload_id)
    if upload is None or not upload_path(upload.stored_name).is_file():
        raise NotFoundError("图片不存在")
    return FileResponse(upload_path(upload.stored_name), media_type=upload.content_type)


def _optional_id(raw: str | None) -> int | None:
    """An optional id box (order, ticket, shop): blank means none."""
    return int(raw) if raw and raw.strip().isdigit() else None


router.include_router(console)
router.include_router(knowledge_console.router)
router.include_router(knowledge_console.stars)
router.include_router(survey_console.router)
router.include_router(portal.router)
