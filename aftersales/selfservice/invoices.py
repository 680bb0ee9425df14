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
from aftersales.returns.repository import refunded_fen
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
NOTHING_DUE = "订单已全额退款,无需开具发票"


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
    """The registration's live invoice, issued now if it has none (a repeat returns it); an order
    refunded in full has nothing left to invoice."""
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
    text = f"原发票 {old.number} 已红冲,已按新抬头重开,发票号码 {new.number}"
    _void(session, old, request, by=new, text=text)
    tell_buyer(session, request, new)
    return new


def follow_refund(session: Session, *, order_id: int) -> list[Invoice]:
    """Money handed back after an invoice was issued (a refund, an early refund, a 保价
    difference) leaves the invoice above what the buyer paid, which a shop may not leave standing:
    each live invoice of the order is voided (红冲) and, unless the order was refunded in full,
    issued again at the net amount with the same title, the buyer told once about the new one.
    The caller holds the order's lock, as every refund does. Returns the new invoices."""
    order = session.get(Order, order_id)
    assert order is not None
    net = order.paid_fen - refunded_fen(session, order_id)
    issued: list[Invoice] = []
    for old in repository.live_invoices_of_order(session, order_id):
        if old.amount_fen == net:
            continue
        request = session.get(PortalRequest, old.request_id)
        assert request is not None
        if net <= 0:
            _void(session, old, request, by=None, text=f"订单已全额退款,原发票 {old.number} 已红冲")
            continue
        new = _issue(session, order, request, None)
        text = f"订单退款后实付 ¥{net / 100:.2f},原发票 {old.number} 已红冲,按实付重开,发票号码 {new.number}"
        _void(session, old, request, by=new, text=text)
        tell_buyer(session, request, new)
        issued.append(new)
    return issued


def refunded_in_full(session: Session, order_id: int) -> bool:
    """Nothing is left to invoice: refunds and 保价 differences reached what the buyer paid."""
    order = session.get(Order, order_id)
    assert order is not None
    return refunded_fen(session, order_id) >= order.paid_fen


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


def _void(session: Session, old: Invoice, request: PortalRequest, *, by: Invoice | None, text: str) -> None:
    """红冲 the invoice (replaced by ``by`` when one was re-issued) and say so on the request."""
    old.status = InvoiceStatus.VOIDED
    old.voided_at = by.issued_at if by is not None else utcnow()
    old.replaced_by_id = by.id if by is not None else None
    session.add(PortalRequestStep(request_id=request.id, status=request.status, message=text))
    session.flush()


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
    """What the buyer paid for: the sold lines (gifts are free and not invoiced), one line for the
    discount or the shipping fee when the paid total differs from their sum, and one for the money
    handed back, so the invoice's total is what the buyer paid net of refunds."""
    refunded = refunded_fen(session, order.id)
    if refunded >= order.paid_fen:
        raise RequestNotAllowedError(NOTHING_DUE)
    items = sorted(repository.item_lines(session, order.id), key=lambda i: i.line_no)
    lines = [
        InvoiceLine(i.title, i.quantity, i.unit_price_fen, i.unit_price_fen * i.quantity)
        for i in items
        if not i.is_gift
    ]
    rest = order.paid_fen - sum(line.amount_fen for line in lines)
    if rest:
        lines.append(InvoiceLine("折扣" if rest < 0 else "运费及其他", 1, rest, rest))
    if refunded:
        lines.append(InvoiceLine("已退款", 1, -refunded, -refunded))
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
        amount_fen=order.paid_fen - refunded,
        issued_at=utcnow(),
    )
