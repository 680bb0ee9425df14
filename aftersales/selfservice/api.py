"""Staff API of the self-service domain: the bot, quick replies, portal requests and links."""

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from aftersales.auth.deps import RequireAgent, RequireSupervisor, SessionDep
from aftersales.kit.pagination import Page, PageDep, paginate
from aftersales.selfservice import (
    access,
    bot,
    faq,
    integrations,
    invoices,
    knowledge_api,
    quickreplies,
    repository,
    service,
    survey_api,
)
from aftersales.selfservice.errors import InvoiceNotFoundError
from aftersales.selfservice.models import Invoice
from aftersales.selfservice.schemas import (
    BotAnswerRead,
    BotQuestion,
    FaqAnswerIn,
    FaqAnswerRead,
    InvoiceRead,
    InvoiceRegistration,
    PortalRequestRead,
    QuickReplyIn,
    QuickReplyRead,
    QuickReplyRendered,
    QuickReplyUseIn,
    RequestAdvance,
)
from aftersales.selfservice.settings import get_selfservice_settings

router = APIRouter(prefix="/api/selfservice", tags=["selfservice"])


@router.post("/bot/ask", response_model=BotAnswerRead)
def ask_bot(session: SessionDep, _: RequireAgent, body: BotQuestion) -> BotAnswerRead:
    """What the bot would answer (and records it), e.g. for a platform IM integration."""
    reply = bot.ask(
        session, text=body.text, session_key=body.session_key, order_id=body.order_id, shop_id=body.shop_id
    )
    return BotAnswerRead(**{k: getattr(reply, k) for k in BotAnswerRead.model_fields})


@router.get("/faq", response_model=list[FaqAnswerRead])
def shop_faq(session: SessionDep, _: RequireAgent, shop_id: int | None = None) -> list[FaqAnswerRead]:
    """The bot's FAQ answers as the shop's customers get them (its own, else the default)."""
    return [FaqAnswerRead.model_validate(a) for a in faq.shop_faq(session, shop_id=shop_id)]


@router.put("/faq/{intent}", response_model=FaqAnswerRead)
def save_faq_answer(
    session: SessionDep, user: RequireSupervisor, intent: str, body: FaqAnswerIn
) -> FaqAnswerRead:
    faq.save_answer(session, shop_id=body.shop_id, intent=intent, answer=body.answer, user_id=user.id)
    return FaqAnswerRead.model_validate(faq.answer_of(session, shop_id=body.shop_id, intent=intent))


@router.delete("/faq/{intent}", response_model=FaqAnswerRead)
def reset_faq_answer(session: SessionDep, _: RequireSupervisor, intent: str, shop_id: int) -> FaqAnswerRead:
    """Drop the shop's own answer; the default one applies again (and is returned)."""
    faq.reset_answer(session, shop_id=shop_id, intent=intent)
    return FaqAnswerRead.model_validate(faq.answer_of(session, shop_id=shop_id, intent=intent))


@router.get("/quick-replies", response_model=Page[QuickReplyRead])
def search_quick_replies(
    session: SessionDep,
    _: RequireAgent,
    page: PageDep,
    q: Annotated[str | None, Query(description="关键词,或以 / 开头的快捷键")] = None,
    scenario: str | None = None,
    shop_id: int | None = None,
) -> Page[QuickReplyRead]:
    rows, total = paginate(
        session, repository.quick_reply_search(query=q, scenario=scenario, shop_id=shop_id), page
    )
    items = [QuickReplyRead.model_validate(r) for r in rows]
    return Page(items=items, total=total, page=page.page, size=page.size)


@router.get("/quick-replies/suggest", response_model=list[QuickReplyRead])
def suggest_quick_replies(
    session: SessionDep, _: RequireAgent, text: str | None = None, intent: str | None = None
) -> list[QuickReplyRead]:
    """Snippets for the intent of the customer's last message (ticket and chat views)."""
    return [QuickReplyRead.model_validate(r) for r in quickreplies.suggest(session, text=text, intent=intent)]


@router.post("/quick-replies", response_model=QuickReplyRead, status_code=201)
def create_quick_reply(session: SessionDep, _: RequireSupervisor, body: QuickReplyIn) -> QuickReplyRead:
    return QuickReplyRead.model_validate(quickreplies.create(session, data=body))


@router.post("/quick-replies/{reply_id}/use", response_model=QuickReplyRendered)
def use_quick_reply(
    session: SessionDep, user: RequireAgent, reply_id: int, body: QuickReplyUseIn
) -> QuickReplyRendered:
    reply, text = quickreplies.use(
        session, reply_id=reply_id, user_id=user.id, order_id=body.order_id, ticket_id=body.ticket_id
    )
    return QuickReplyRendered(id=reply.id, text=text, usage_count=reply.usage_count)


@router.get("/requests", response_model=Page[PortalRequestRead])
def list_requests(
    session: SessionDep, _: RequireAgent, page: PageDep, status: str | None = None, kind: str | None = None
) -> Page[PortalRequestRead]:
    rows, total = paginate(session, repository.request_list(status=status, kind=kind), page)
    return Page(
        items=[PortalRequestRead.model_validate(r) for r in rows], total=total, page=page.page, size=page.size
    )


@router.post("/requests/{request_id}/advance", response_model=PortalRequestRead)
def advance_request(
    session: SessionDep, user: RequireAgent, request_id: int, body: RequestAdvance
) -> PortalRequestRead:
    """Record a step the customer sees on the progress page (and is messaged about); completing
    an invoice registration issues its invoice."""
    request = service.advance(
        session, request_id=request_id, status=body.status, message=body.message, actor_id=user.id
    )
    return PortalRequestRead.model_validate(request)


@router.post("/requests/{request_id}/invoice", response_model=InvoiceRead)
def issue_invoice(session: SessionDep, user: RequireAgent, request_id: int) -> InvoiceRead:
    """开具: the registration's invoice (issued now, or the one already issued)."""
    return InvoiceRead.model_validate(service.issue_invoice(session, request_id=request_id, actor_id=user.id))


@router.post("/requests/{request_id}/invoice/reissue", response_model=InvoiceRead)
def reissue_invoice(
    session: SessionDep, user: RequireAgent, request_id: int, body: InvoiceRegistration
) -> InvoiceRead:
    """红冲/重开 with the corrected title or tax id; returns the new invoice."""
    invoice = invoices.reissue(session, request_id=request_id, data=body, actor_id=user.id)
    return InvoiceRead.model_validate(invoice)


@router.get("/invoices/{invoice_id}/pdf", response_class=Response)
def invoice_pdf(session: SessionDep, _: RequireAgent, invoice_id: int) -> Response:
    found = session.get(Invoice, invoice_id)
    if found is None:
        raise InvoiceNotFoundError()
    return Response(found.pdf, media_type="application/pdf")


class PortalLinkRead(BaseModel):
    url: str
    expires_in_hours: int
    sent: bool


@router.post("/orders/{order_id}/portal-link", response_model=PortalLinkRead)
def portal_link(session: SessionDep, _: RequireAgent, order_id: int, send: bool = False) -> PortalLinkRead:
    """A signed, expiring link to the order's portal; ``send`` queues it to the customer by SMS."""
    order = service.get_order(session, order_id)
    settings = get_selfservice_settings()
    url = f"{settings.public_base_url}{access.portal_path(order.id)}"
    if send:
        integrations.send_text(
            session,
            order_id=order.id,
            phone=order.receiver_phone or repository.customer_phone(session, order.customer_id),
            text=f"亲,您的订单 {order.source_id} 可在此自助办理退换货、改地址、开发票: {url}",
            idempotency_key=f"selfservice:portal-link:{order.id}:{url[-16:]}",
        )
    return PortalLinkRead(url=url, expires_in_hours=settings.link_ttl_hours, sent=send)


router.include_router(knowledge_api.router)
router.include_router(survey_api.router)
