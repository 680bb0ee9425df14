"""Invoices followed through (seed 001: 自动发送发票链接): a portal invoice registration is issued
through the configured provider (``invoice_provider.py``), its PDF kept with the number, the
buyer told once per invoice with the link to the portal's invoice page, and a wrong title or tax
id corrected by a re-issue (红冲/重开): the live invoice is voided and a new number issued.

Issuing takes the order's lock, so two clicks of 开具 (or a click and the ticket's resolution)
issue one invoice, and numbers derived from the registration's invoice count never collide.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.messaging.service import send_customer_message
from aftersales.messaging.templates import TemplateNotFoundError
from aftersales.orders.models import Order
from aftersales.orders.service import lock_order
from aftersales.selfservice import repository
from aftersales.selfservice.errors import (
    InvoiceNotFoundError,
    PortalRequestNotFoundError,
    RequestNotAllowedError,
)
from aftersales.selfservice.invoice_models import Invoice, InvoiceStatus
from aftersales.selfservice.invoice_provider import InvoiceDraft, InvoiceLine, provider
from aftersales.selfservice.models import PortalRequest, PortalRequestStep, RequestKind, RequestStatus
from aftersales.selfservice.schemas import InvoiceRegistration
from aftersales.selfservice.settings import get_selfservice_settings

# A buyer corrects their own invoice this often; after that an agent does it (and sees why).
BUYER_REISSUES = 2


@dataclass(frozen=True)
class InvoiceState:
    """A registration's invoices for a page: the live one (None before issue) and the voided."""

    live: Invoice | None
    voided: list[Invoice]


def state_of(session: Session, request_ids: list[int]) -> dict[int, InvoiceState]:
    """Per registration id, its invoices; registrations without any are left out."""
    found: dict[int, list[Invoice]] = {}
    for invoice in repository.invoices_of_requests(session, request_ids):
        found.setdefault(invoice.request_id, []).append(invoice)
    return {
        request_id: InvoiceState(
            live=next((i for i in rows if i.status == InvoiceStatus.ISSUED), None),
            voided=[i for i in rows if i.status == InvoiceStatus.VOIDED],
        )
        for request_id, rows in found.items()
    }


def live_invoice(session: Session, request_id: int) -> Invoice | None:
    state = state_of(session, [request_id]).get(request_id)
    return state.live if state else None


def issue(session: Session, *, request: PortalRequest, actor_id: int | None) -> Invoice:
    """The registration's live invoice, issued now if it has none (a repeat returns it)."""
    order = lock_order(session, request.order_id)
    existing = live_invoice(session, request.id)
    if existing is not None:
        return existing
    return _issue(session, order, request, actor_id)


def reissue(
    session: Session,
    *,
    request_id: int,
    data: InvoiceRegistration,
    actor_id: int | None,
    order_id: int | None = None,
) -> Invoice:
    """红冲/重开: void the live invoice and issue one with the corrected title and tax id; the
    buyer is told once about the new one. ``order_id`` binds the call to the buyer's portal
    session, whose re-issues are limited to ``BUYER_REISSUES``; ``actor_id`` is the agent's."""
    request = _registration(session, request_id, order_id)
    order = lock_order(session, request.order_id)
    old = live_invoice(session, request.id)
    if old is None:
        raise RequestNotAllowedError("发票尚未开具,请等待开具后再申请重开")
    if (old.invoice_type, old.title, old.tax_id) == (data.invoice_type, data.title, data.tax_id):
        raise InvalidInputError("title", "抬头和税号与当前发票相同,无需重开")
    if actor_id is None and repository.invoice_count(session, request.id) > BUYER_REISSUES:
        raise RequestNotAllowedError(f"自助重开最多 {BUYER_REISSUES} 次,请联系客服处理")
    request.details = {**request.details, **data.model_dump(exclude={"email"})}
    new = _issue(session, order, request, actor_id)
    old.status = InvoiceStatus.VOIDED
    old.voided_at = new.issued_at
    old.replaced_by_id = new.id
    text = f"原发票 {old.number} 已红冲,已按新抬头重开,发票号码 {new.number}"
    session.add(PortalRequestStep(request_id=request.id, status=request.status, message=text))
    session.flush()
    tell_buyer(session, request, new)
    return new


def invoice_of_order(session: Session, *, invoice_id: int, order_id: int) -> Invoice:
    """An invoice of the buyer's own order (the portal session's); any other is not found."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or invoice.order_id != order_id:
        raise InvoiceNotFoundError()
    return invoice


def tell_buyer(session: Session, request: PortalRequest, invoice: Invoice) -> None:
    """The shop's invoice notice with the link to the invoice page, once per invoice number. A
    shop that switched the template off sends none."""
    try:
        send_customer_message(
            session,
            order_id=request.order_id,
            template_code="invoice_notice",
            idempotency_key=f"selfservice:invoice-notice:{invoice.id}",
            extra={"invoice_title": invoice.title},
            why={"rule": "发票开具通知", "finding": f"发票登记 编号 {request.id} 已开具 {invoice.number}"},
        )
    except TemplateNotFoundError:
        return


def _registration(session: Session, request_id: int, order_id: int | None) -> PortalRequest:
    request = session.get(PortalRequest, request_id)
    if request is None or request.kind != RequestKind.INVOICE or order_id not in (None, request.order_id):
        raise PortalRequestNotFoundError()
    if request.status == RequestStatus.REJECTED:
        raise RequestNotAllowedError("该发票登记未通过,不能开具")
    return request


def _issue(session: Session, order: Order, request: PortalRequest, actor_id: int | None) -> Invoice:
    draft = _draft(session, order, request)
    settings = get_selfservice_settings()
    document = provider(settings.invoice_provider).issue(draft)
    invoice = Invoice(
        request_id=request.id,
        order_id=order.id,
        shop_id=order.shop_id,
        number=document.number,
        provider=settings.invoice_provider,
        status=InvoiceStatus.ISSUED,
        invoice_type=draft.invoice_type,
        title=draft.title,
        tax_id=draft.tax_id,
        amount_fen=draft.amount_fen,
        lines=[line.__dict__ for line in draft.lines],
        pdf=document.pdf,
        issued_by=actor_id,
        issued_at=draft.issued_at,
    )
    session.add(invoice)
    session.flush()
    return invoice


def _draft(session: Session, order: Order, request: PortalRequest) -> InvoiceDraft:
    """What the buyer paid for: the sold lines (gifts are free and not invoiced) and, when the
    paid total differs from their sum, one line for the discount or the shipping fee, so the
    invoice's total is what the buyer paid."""
    items = sorted(repository.item_lines(session, order.id), key=lambda i: i.line_no)
    lines = [
        InvoiceLine(i.title, i.quantity, i.unit_price_fen, i.unit_price_fen * i.quantity)
        for i in items
        if not i.is_gift
    ]
    rest = order.paid_fen - sum(line.amount_fen for line in lines)
    if rest:
        lines.append(InvoiceLine("折扣" if rest < 0 else "运费及其他", 1, rest, rest))
    shop = session.get(Shop, order.shop_id)
    details = request.details
    return InvoiceDraft(
        request_id=request.id,
        sequence=repository.invoice_count(session, request.id) + 1,
        order_no=order.source_id,
        seller=shop.name if shop else "",
        invoice_type=str(details.get("invoice_type", "personal")),
        title=str(details.get("title", "")),
        tax_id=details.get("tax_id") or None,
        lines=tuple(lines),
        amount_fen=order.paid_fen,
        issued_at=utcnow(),
    )
