"""Who issues an electronic invoice (电子发票): the provider interface and the local provider.

The invoice service hands a provider a finished ``InvoiceDraft`` (buyer, lines and total in fen,
issue time) and gets back the invoice number and the PDF the buyer downloads. A tax-platform
provider (a 税控 service issuing 数电票) fits the same interface: it would send the draft and return
the number and document the platform assigns. The local provider, the default, prints the invoice
itself with WeasyPrint in the shop's name, in the layout of the national electronic invoice (发票号码,
开票日期, 购买方, 项目, 价税合计) with a CJK font (``make report-deps`` installs Noto Sans CJK).
Its numbers are 20 digits like a 数电票's: the issue year, the registration id and the count of
invoices that registration had, so they are unique without a counter table.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aftersales.kit.errors import AftersalesError
from aftersales.kit.time import SHANGHAI
from aftersales.web.render import templates

TYPE_LABELS = {"personal": "个人", "company": "企业"}


@dataclass(frozen=True)
class InvoiceLine:
    title: str
    quantity: int
    unit_price_fen: int
    amount_fen: int


@dataclass(frozen=True)
class InvoiceDraft:
    """Everything printed on the invoice; ``sequence`` counts the registration's invoices (1, then
    2 after one re-issue)."""

    request_id: int
    sequence: int
    order_no: str
    seller: str
    invoice_type: str
    title: str
    tax_id: str | None
    lines: tuple[InvoiceLine, ...]
    amount_fen: int
    issued_at: datetime


@dataclass(frozen=True)
class IssuedDocument:
    number: str
    pdf: bytes


class InvoiceProvider(Protocol):
    code: str

    def issue(self, draft: InvoiceDraft) -> IssuedDocument: ...


class UnknownInvoiceProviderError(AftersalesError):
    def __init__(self, code: str) -> None:
        super().__init__(f"未配置的开票服务: {code}", 500)


class LocalPdfProvider:
    """Issues the invoice on this server: the number from the draft, the PDF from a template."""

    code = "local"

    def issue(self, draft: InvoiceDraft) -> IssuedDocument:
        number = f"{draft.issued_at.astimezone(SHANGHAI):%y}{draft.request_id:014d}{draft.sequence:04d}"
        return IssuedDocument(number=number, pdf=render_pdf(draft, number))


def render_pdf(draft: InvoiceDraft, number: str) -> bytes:
    from weasyprint import HTML  # loaded when an invoice is printed, not when the portal starts

    html = (
        templates()
        .env.get_template("selfservice/invoice_pdf.html")
        .render(
            draft=draft,
            number=number,
            issued_on=f"{draft.issued_at.astimezone(SHANGHAI):%Y年%m月%d日}",
            type_label=TYPE_LABELS.get(draft.invoice_type, draft.invoice_type),
        )
    )
    pdf = HTML(string=html).write_pdf()
    assert pdf is not None
    return bytes(pdf)


PROVIDERS: dict[str, InvoiceProvider] = {LocalPdfProvider.code: LocalPdfProvider()}


def provider(code: str) -> InvoiceProvider:
    found = PROVIDERS.get(code)
    if found is None:
        raise UnknownInvoiceProviderError(code)
    return found
