"""Invoices followed through: a registration is issued with a PDF, the buyer's notice links to it
through the portal, a wrong title is corrected by 红冲/重开, and each invoice is announced once."""

import io
import re
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.events import publish
from aftersales.logistics.defaults import seed_templates
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Order
from aftersales.returns import price_protection
from aftersales.returns.events import RefundPaid
from aftersales.returns.models import Authority, PayoutKind, RequestKind
from aftersales.returns.refunds import release_refund
from aftersales.selfservice import access, bot, invoices, service
from aftersales.selfservice.errors import RequestNotAllowedError
from aftersales.selfservice.invoice_models import Invoice, InvoiceStatus
from aftersales.selfservice.models import PortalRequest, PortalRequestStep, RequestStatus
from aftersales.selfservice.schemas import InvoiceRegistration
from aftersales.tickets.events import TicketResolved
from tests.builders import make_order, make_order_item, make_return_request, make_user
from tests.builders.returns import make_price_rule
from tests.builders.selfservice import COMPANY_TAX_ID, make_invoice_registration, make_item

Headers = Callable[..., dict[str, str]]
NEW_TITLE = "杭州某某贸易有限公司"


def _bought(session: Session) -> Order:
    """An order of two cushions at ¥129 with a free gift, paid ¥248 after a ¥10 discount."""
    order = make_order(session, paid_fen=24_800, total_fen=25_800)
    make_item(session, order=order, title="记忆棉坐垫", quantity=2, unit_price_fen=12_900)
    make_item(session, order=order, title="赠品收纳袋", quantity=1, unit_price_fen=0, is_gift=True)
    return order


def _issued(session: Session) -> tuple[PortalRequest, Invoice]:
    seed_templates(session)
    request = make_invoice_registration(session, order=_bought(session))
    return request, service.issue_invoice(session, request_id=request.id, actor_id=None)


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _notices(session: Session, order_id: int) -> list[str]:
    rows = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.subject_id == order_id, OutboxMessage.idempotency_key.like("selfservice:invoice-%")
        )
        .order_by(OutboxMessage.id)
    )
    return [row.payload["text"] for row in rows]


def _correct(**overrides: object) -> InvoiceRegistration:
    fields: dict[str, object] = {"invoice_type": "company", "title": NEW_TITLE, "tax_id": COMPANY_TAX_ID}
    return InvoiceRegistration.model_validate({**fields, **overrides})


class TestIssue:
    def test_the_pdf_prints_number_buyer_tax_id_and_total_in_yuan(self, session: Session) -> None:
        _, invoice = _issued(session)
        text = _text(invoice.pdf)
        assert invoice.pdf.startswith(b"%PDF")
        for printed in (invoice.number, "杭州某某科技有限公司", COMPANY_TAX_ID, "¥248.00", "记忆棉坐垫"):
            assert printed in text

    def test_the_chinese_text_is_set_in_an_embedded_cjk_font(self, session: Session) -> None:
        _, invoice = _issued(session)
        page = PdfReader(io.BytesIO(invoice.pdf)).pages[0]
        fonts = [str(font.get_object()["/BaseFont"]) for font in page["/Resources"]["/Font"].values()]
        assert any("CJK" in name for name in fonts), fonts

    def test_the_lines_leave_out_gifts_and_add_up_to_what_was_paid(self, session: Session) -> None:
        _, invoice = _issued(session)
        assert [(line["title"], line["amount_fen"]) for line in invoice.lines] == [
            ("记忆棉坐垫", 25_800),
            ("折扣", -1_000),
        ]
        assert invoice.amount_fen == 24_800

    def test_the_number_has_twenty_digits_and_the_request_is_completed(self, session: Session) -> None:
        request, invoice = _issued(session)
        assert re.fullmatch(r"\d{20}", invoice.number)
        assert request.status == RequestStatus.COMPLETED

    def test_a_second_issue_returns_the_same_invoice_and_tells_the_buyer_once(self, session: Session) -> None:
        request, invoice = _issued(session)
        again = service.issue_invoice(session, request_id=request.id, actor_id=None)
        assert again.id == invoice.id
        assert len(_notices(session, request.order_id)) == 1

    def test_a_registration_completed_without_an_invoice_gets_one_and_a_notice(
        self, session: Session
    ) -> None:
        seed_templates(session)
        request = make_invoice_registration(session, order=_bought(session))
        request.status = RequestStatus.COMPLETED  # completed before invoices were issued here
        invoice = service.issue_invoice(session, request_id=request.id, actor_id=None)
        assert invoice.number in _text(invoice.pdf)
        assert len(_notices(session, request.order_id)) == 1

    def test_a_rejected_registration_is_not_issued(self, session: Session) -> None:
        request = make_invoice_registration(session, order=_bought(session))
        service.advance(session, request_id=request.id, status=RequestStatus.REJECTED, message="抬头不符")
        with pytest.raises(RequestNotAllowedError):
            service.issue_invoice(session, request_id=request.id, actor_id=None)
        assert invoices.live_invoice(session, request.id) is None

    def test_a_resolved_ticket_issues_the_invoice(self, session: Session) -> None:
        request = make_invoice_registration(session, order=_bought(session))
        assert request.ticket_id is not None
        publish(session, TicketResolved(ticket_id=request.ticket_id))
        assert invoices.live_invoice(session, request.id) is not None


class TestBot:
    def test_the_invoice_answer_names_the_issued_number(self, session: Session) -> None:
        request, invoice = _issued(session)
        reply = bot.ask(session, text="可以开发票吗", session_key="bot-invoice", order_id=request.order_id)
        assert (reply.intent, invoice.number in reply.answer) == ("invoice", True)


class TestReissue:
    def test_voids_the_old_number_and_issues_a_new_one_with_the_new_title(self, session: Session) -> None:
        request, old = _issued(session)
        new = invoices.reissue(session, request_id=request.id, data=_correct(), actor_id=None)
        assert (old.status, old.replaced_by_id, new.status) == (
            InvoiceStatus.VOIDED,
            new.id,
            InvoiceStatus.ISSUED,
        )
        assert new.number != old.number
        assert NEW_TITLE in _text(new.pdf)

    def test_the_buyer_is_told_once_about_each_invoice(self, session: Session) -> None:
        request, _ = _issued(session)
        invoices.reissue(session, request_id=request.id, data=_correct(), actor_id=None)
        notices = _notices(session, request.order_id)
        assert len(notices) == 2
        assert f"抬头:{NEW_TITLE}" in notices[1]

    def test_the_same_title_and_tax_id_is_refused(self, session: Session) -> None:
        request, _ = _issued(session)
        with pytest.raises(InvalidInputError, match="无需重开"):
            invoices.reissue(
                session, request_id=request.id, data=_correct(title="杭州某某科技有限公司"), actor_id=None
            )

    def test_the_buyer_reissues_at_most_twice_an_agent_any_time(self, session: Session) -> None:
        request, _ = _issued(session)
        for title in ("甲公司有限公司", "乙公司有限公司"):
            invoices.reissue(session, request_id=request.id, data=_correct(title=title), actor_id=None)
        with pytest.raises(RequestNotAllowedError):
            invoices.reissue(session, request_id=request.id, data=_correct(), actor_id=None)

    def test_before_issue_there_is_nothing_to_reissue(self, session: Session) -> None:
        request = make_invoice_registration(session, order=_bought(session))
        with pytest.raises(RequestNotAllowedError):
            invoices.reissue(session, request_id=request.id, data=_correct(), actor_id=None)


def _refunded(session: Session, order: Order, refund_fen: int) -> None:
    """A refund-only request of ``refund_fen`` paid out through the returns domain."""
    request = make_return_request(session, order=order, kind=RequestKind.REFUND_ONLY, refund_fen=refund_fen)
    release_refund(
        session, request, kind=PayoutKind.REFUND, authority=Authority.AGENT, actor_id=None, note="退款"
    )


def _issued_after_refund(session: Session, refund_fen: int) -> Invoice:
    """The ¥248 order's invoice, registered and issued after ``refund_fen`` went back."""
    seed_templates(session)
    order = _bought(session)
    _refunded(session, order, refund_fen)
    request = make_invoice_registration(session, order=order)
    return service.issue_invoice(session, request_id=request.id, actor_id=None)


class TestRefunds:
    def test_an_invoice_issued_after_a_partial_refund_is_for_the_net_amount(self, session: Session) -> None:
        invoice = _issued_after_refund(session, 12_900)
        assert invoice.amount_fen == 11_900
        assert sum(line["amount_fen"] for line in invoice.lines) == 11_900
        assert "¥119.00" in _text(invoice.pdf)

    def test_the_pdf_prints_the_refund_as_a_minus_line(self, session: Session) -> None:
        invoice = _issued_after_refund(session, 12_900)
        assert "已退款 1 -¥129.00 -¥129.00" in _text(invoice.pdf)

    def test_an_order_refunded_in_full_is_not_invoiced(self, session: Session) -> None:
        order = _bought(session)
        _refunded(session, order, 24_800)
        request = make_invoice_registration(session, order=order)
        with pytest.raises(RequestNotAllowedError, match="全额退款"):
            service.issue_invoice(session, request_id=request.id, actor_id=None)

    def test_completing_a_fully_refunded_registration_issues_nothing_and_says_why(
        self, session: Session
    ) -> None:
        seed_templates(session)
        order = _bought(session)
        _refunded(session, order, 24_800)
        request = make_invoice_registration(session, order=order)
        service.advance(
            session, request_id=request.id, status=RequestStatus.COMPLETED, message="客服已处理完成"
        )
        steps = session.scalars(
            select(PortalRequestStep.message).where(PortalRequestStep.request_id == request.id)
        )
        assert (invoices.live_invoice(session, request.id), list(steps)[-1]) == (None, invoices.NOTHING_DUE)

    def test_a_refund_after_issue_voids_the_invoice_and_reissues_it_net(self, session: Session) -> None:
        request, old = _issued(session)
        order = session.get(Order, request.order_id)
        assert order is not None
        _refunded(session, order, 12_900)
        new = invoices.live_invoice(session, request.id)
        assert new is not None
        assert (old.status, old.replaced_by_id) == (InvoiceStatus.VOIDED, new.id)
        assert (new.amount_fen, new.title) == (11_900, old.title)

    def test_the_buyer_is_told_about_the_reissued_invoice_once(self, session: Session) -> None:
        request, _ = _issued(session)
        order = session.get(Order, request.order_id)
        assert order is not None
        _refunded(session, order, 12_900)
        publish(session, RefundPaid(order_id=order.id, payout_id=0))
        assert len(_notices(session, order.id)) == 2

    def test_the_request_says_why_the_invoice_was_reissued(self, session: Session) -> None:
        request, old = _issued(session)
        order = session.get(Order, request.order_id)
        assert order is not None
        _refunded(session, order, 12_900)
        steps = session.scalars(
            select(PortalRequestStep.message).where(PortalRequestStep.request_id == request.id)
        )
        assert f"订单退款后实付 ¥119.00,原发票 {old.number} 已红冲" in "\n".join(steps)

    def test_a_full_refund_after_issue_voids_the_invoice_without_a_new_one(self, session: Session) -> None:
        request, old = _issued(session)
        order = session.get(Order, request.order_id)
        assert order is not None
        _refunded(session, order, 24_800)
        assert old.status == InvoiceStatus.VOIDED
        assert invoices.live_invoice(session, request.id) is None

    def test_a_price_difference_refunded_after_issue_reissues_it_net(self, session: Session) -> None:
        order = make_order(session, paid_fen=39_800, total_fen=39_800)
        make_order_item(session, order=order, sku_code="PILLOW", quantity=2, unit_price_fen=19_900)
        request = make_invoice_registration(session, order=order)
        service.issue_invoice(session, request_id=request.id, actor_id=None)
        make_price_rule(session, shop_id=order.shop_id)
        agent = make_user(session, role=Role.AGENT)
        price_protection.protect(
            session, order_id=order.id, sku_code="PILLOW", new_unit_fen=18_900, actor=agent
        )
        new = invoices.live_invoice(session, request.id)
        assert new is not None
        assert new.amount_fen == 37_800


class TestPortal:
    def test_the_notice_link_opens_the_page_and_its_pdf(self, session: Session, client: TestClient) -> None:
        request, invoice = _issued(session)
        link = re.search(r"https?://\S+", _notices(session, request.order_id)[0])
        assert link is not None
        page = client.get(urlsplit(link.group(0)).path)  # the signed link, then the invoice page
        assert page.status_code == 200
        assert invoice.number in page.text
        pdf = client.get(f"/portal/invoices/{invoice.id}.pdf")
        assert (pdf.status_code, pdf.headers["content-type"]) == (200, "application/pdf")
        assert invoice.number in _text(pdf.content)

    def test_after_a_refund_the_page_lists_its_line(self, session: Session, client: TestClient) -> None:
        request, _ = _issued(session)
        order = session.get_one(Order, request.order_id)
        _refunded(session, order, 12_900)
        link = re.search(r"https?://\S+", _notices(session, order.id)[-1])
        assert link is not None
        page = client.get(urlsplit(link.group(0)).path)
        assert "已退款 × 1 -¥129.00" in page.text
        assert "金额:¥119.00" in page.text

    def test_after_a_full_refund_the_page_says_no_invoice_is_due(
        self, session: Session, client: TestClient
    ) -> None:
        request, _ = _issued(session)
        order = session.get_one(Order, request.order_id)
        _refunded(session, order, 24_800)
        link = re.search(r"https?://\S+", _notices(session, order.id)[0])
        assert link is not None
        page = client.get(urlsplit(link.group(0)).path)
        assert "订单已全额退款,原发票已红冲,无需再开具" in page.text

    def test_another_orders_invoice_is_not_found(self, session: Session, client: TestClient) -> None:
        _, invoice = _issued(session)
        client.cookies.set(
            access.SESSION_COOKIE, access.issue_session(make_order(session).id), path="/portal"
        )
        assert client.get(f"/portal/invoices/{invoice.id}.pdf").status_code == 404

    def test_without_the_link_the_pdf_asks_to_log_in(self, session: Session, client: TestClient) -> None:
        _, invoice = _issued(session)
        response = client.get(f"/portal/invoices/{invoice.id}.pdf", follow_redirects=False)
        assert (response.status_code, response.headers["location"]) == (303, "/portal/login")

    def test_the_buyer_corrects_the_title_on_the_invoice_page(
        self, session: Session, client: TestClient
    ) -> None:
        request, old = _issued(session)
        client.cookies.set(access.SESSION_COOKIE, access.issue_session(request.order_id), path="/portal")
        form = {"invoice_type": "company", "title": NEW_TITLE, "tax_id": COMPANY_TAX_ID}
        response = client.post("/portal/invoice", data=form)
        session.refresh(old)
        new = invoices.live_invoice(session, request.id)
        assert new is not None
        assert (response.status_code, old.status) == (200, InvoiceStatus.VOIDED)
        assert new.number in response.text
        assert "已按新抬头重开" in response.text

    def test_a_bad_tax_id_is_shown_beside_its_field(self, session: Session, client: TestClient) -> None:
        request, old = _issued(session)
        client.cookies.set(access.SESSION_COOKIE, access.issue_session(request.order_id), path="/portal")
        response = client.post(
            "/portal/invoice", data={"invoice_type": "company", "title": NEW_TITLE, "tax_id": "123"}
        )
        assert response.status_code == 422
        assert 'id="tax_id-error"' in response.text
        assert old.status == InvoiceStatus.ISSUED


class TestStaff:
    def test_the_api_issues_and_reissues_and_serves_the_pdf(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        request = make_invoice_registration(session, order=_bought(session))
        headers = auth_headers(Role.AGENT)
        issued = client.post(f"/api/selfservice/requests/{request.id}/invoice", headers=headers).json()
        body = {"invoice_type": "personal", "title": "张三"}
        again = client.post(
            f"/api/selfservice/requests/{request.id}/invoice/reissue", json=body, headers=headers
        )
        pdf = client.get(f"/api/selfservice/invoices/{again.json()['id']}/pdf", headers=headers)
        assert (again.json()["title"], again.json()["tax_id"]) == ("张三", None)
        assert again.json()["number"] != issued["number"]
        assert again.json()["number"] in _text(pdf.content)

    def test_the_console_lists_the_invoice_with_its_buttons(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        request = make_invoice_registration(session, order=_bought(session))
        headers = auth_headers(Role.AGENT)
        before = client.get("/console/selfservice/requests", headers=headers).text
        client.post(
            f"/console/selfservice/requests/{request.id}/invoice", headers=headers, follow_redirects=False
        )
        after = client.get("/console/selfservice/requests", headers=headers).text
        invoice = invoices.live_invoice(session, request.id)
        assert invoice is not None
        assert f'/console/selfservice/requests/{request.id}/invoice"' in before
        assert f"已开具 {invoice.number}" in after
        pdf = client.get(f"/console/selfservice/invoices/{invoice.id}.pdf", headers=headers)
        assert invoice.number in _text(pdf.content)
        assert "红冲并重开" in after

    def test_the_console_shows_a_fully_refunded_registration_without_an_issue_button(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        request, old = _issued(session)
        _refunded(session, session.get_one(Order, request.order_id), 24_800)
        page = client.get("/console/selfservice/requests", headers=auth_headers(Role.AGENT)).text
        assert f'订单已全额退款,无需开具<br><span class="muted">已红冲 {old.number}' in page
        assert f'/console/selfservice/requests/{request.id}/invoice"' not in page

    def test_the_console_reissue_refuses_a_bad_tax_id_naming_the_field(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        request, _ = _issued(session)
        response = client.post(
            f"/console/selfservice/requests/{request.id}/invoice/reissue",
            data={"invoice_type": "company", "title": NEW_TITLE, "tax_id": "123"},
            headers=auth_headers(Role.AGENT),
        )
        assert response.status_code == 422
        assert "税号格式不正确" in response.text

    def test_the_api_needs_a_staff_token(self, session: Session, client: TestClient) -> None:
        request = make_invoice_registration(session, order=_bought(session))
        assert client.post(f"/api/selfservice/requests/{request.id}/invoice").status_code == 401
