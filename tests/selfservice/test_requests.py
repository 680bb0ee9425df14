from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.events import publish
from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import OrderStatus
from aftersales.selfservice import access, service
from aftersales.selfservice.errors import RequestNotAllowedError, UploadRejectedError
from aftersales.selfservice.models import PortalUpload, RequestStatus, ReturnMethod, ReturnTask
from aftersales.selfservice.schemas import AddressChange, InvoiceRegistration, ReturnApply, valid_tax_id
from aftersales.tickets.events import TicketResolved
from aftersales.tickets.models import Ticket
from tests.builders import make_order, make_shipment
from tests.builders.selfservice import JPEG, PNG

Headers = Callable[..., dict[str, str]]

NEW_ADDRESS = AddressChange(
    receiver_name="李四",
    receiver_phone="13911112222",
    province="上海市",
    city="上海市",
    district="浦东新区",
    address="世纪大道 100 号",
)


def _tomorrow():  # type: ignore[no-untyped-def]
    return (utcnow().astimezone(SHANGHAI) + timedelta(days=1)).date()


def _login(client: TestClient, order_id: int) -> None:
    client.cookies.set(access.SESSION_COOKIE, access.issue_session(order_id), path="/portal")


def address_change_ticket_page(session: Session, client: TestClient, headers: dict[str, str]) -> Any:
    order = make_order(session, status=OrderStatus.PAID)
    request = service.submit_address_change(session, order_id=order.id, data=NEW_ADDRESS)
    return client.get(f"/console/tickets/{request.ticket_id}", headers=headers)


class TestAddressChange:
    def test_before_shipping_opens_a_warehouse_ticket_and_messages_the_customer(
        self, session: Session
    ) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        request = service.submit_address_change(session, order_id=order.id, data=NEW_ADDRESS)
        ticket = session.get(Ticket, request.ticket_id)
        assert ticket is not None
        assert ticket.source == "selfservice"
        assert request.expected_by is not None
        sms = session.scalars(select(OutboxMessage).where(OutboxMessage.subject_id == order.id)).all()
        assert any("修改收货地址申请已提交" in m.payload["text"] for m in sms)

    def test_ticket_keeps_the_new_address_as_data_not_in_its_description(self, session: Session) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        request = service.submit_address_change(session, order_id=order.id, data=NEW_ADDRESS)
        ticket = session.get(Ticket, request.ticket_id)
        assert ticket is not None
        assert ticket.data["requested_address"]["address"] == "世纪大道 100 号"
        assert "世纪大道" not in ticket.description
        assert "13911112222" not in ticket.description

    def test_agent_sees_the_new_address_masked_on_the_ticket_page(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        page = address_change_ticket_page(session, client, auth_headers(Role.AGENT))
        assert "139****2222" in page.text
        assert "13911112222" not in page.text
        assert "世纪大道 100 号" not in page.text

    @pytest.mark.usefixtures("unmasked_admins")
    def test_a_role_the_shop_unmasks_sees_the_whole_new_address_on_the_ticket_page(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        page = address_change_ticket_page(session, client, auth_headers(Role.ADMIN))
        assert "李四 13911112222 上海市 上海市 浦东新区 世纪大道 100 号" in page.text

    def test_after_shipping_is_refused(self, session: Session) -> None:
        order = make_order(session, status=OrderStatus.SHIPPED)
        make_shipment(session, order=order)
        with pytest.raises(RequestNotAllowedError, match="已发货"):
            service.submit_address_change(session, order_id=order.id, data=NEW_ADDRESS)

    def test_a_second_open_request_of_the_same_kind_is_refused(self, session: Session) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        service.submit_address_change(session, order_id=order.id, data=NEW_ADDRESS)
        with pytest.raises(RequestNotAllowedError, match="进行中"):
            service.submit_address_change(session, order_id=order.id, data=NEW_ADDRESS)


class TestInvoice:
    def test_valid_unified_social_credit_code_is_accepted(self) -> None:
        assert valid_tax_id("91350100M000100Y43")

    def test_code_with_a_wrong_check_character_is_refused(self) -> None:
        assert not valid_tax_id("91350100M000100Y44")

    def test_company_invoice_without_a_valid_tax_id_names_the_field(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session)
        _login(client, order.id)
        form = {"invoice_type": "company", "title": "杭州某某科技有限公司", "tax_id": "123"}
        response = client.post("/portal/apply/invoice", data=form)
        assert response.status_code == 422
        assert 'id="tax_id-error"' in response.text

    def test_registered_invoice_shows_on_the_progress_page(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session)
        _login(client, order.id)
        form = {"invoice_type": "company", "title": "杭州某某科技有限公司", "tax_id": "91350100M000100Y43"}
        response = client.post("/portal/apply/invoice", data=form)
        assert response.status_code == 200
        assert "发票登记" in response.text
        assert "已提交" in response.text

    def test_personal_invoice_drops_any_tax_id(self) -> None:
        data = InvoiceRegistration(invoice_type="personal", title="张三", tax_id="whatever")
        assert data.tax_id is None


class TestReturn:
    def test_self_send_creates_a_task_with_the_return_address_and_tells_the_customer(
        self, session: Session
    ) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        data = ReturnApply(kind="return", reason="not_fit", return_method=ReturnMethod.SELF_SEND)
        request = service.submit_return(session, order_id=order.id, data=data)
        task = session.scalars(select(ReturnTask).where(ReturnTask.request_id == request.id)).one()
        assert task.method == ReturnMethod.SELF_SEND
        assert "售后仓" in (task.address or "")
        texts = [m.payload["text"] for m in session.scalars(select(OutboxMessage))]
        assert any("请将商品寄回" in text for text in texts)

    def test_pickup_creates_a_task_due_at_the_chosen_slot(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        data = ReturnApply(
            kind="exchange",
            reason="not_fit",
            return_method=ReturnMethod.PICKUP,
            pickup_date=_tomorrow(),
            pickup_slot="15-18",
        )
        request = service.submit_return(session, order_id=order.id, data=data)
        task = session.scalars(select(ReturnTask).where(ReturnTask.request_id == request.id)).one()
        assert task.due_at is not None
        assert task.due_at.astimezone(SHANGHAI).hour == 15

    def test_pickup_in_the_past_is_refused_naming_the_field(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        yesterday = _tomorrow() - timedelta(days=2)
        data = ReturnApply(
            kind="return",
            reason="damaged",
            return_method="pickup",
            pickup_date=yesterday,
            pickup_slot="09-12",
        )
        with pytest.raises(InvalidInputError) as raised:
            service.submit_return(session, order_id=order.id, data=data)
        assert raised.value.field == "pickup_date"

    def test_return_goes_to_the_returns_domain_which_opens_the_ticket(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        data = ReturnApply(kind="return", reason="damaged", return_method=ReturnMethod.RUNNER)
        request = service.submit_return(session, order_id=order.id, data=data)
        assert request.return_request_id is not None
        ticket = session.get(Ticket, request.ticket_id)
        assert ticket is not None
        assert ticket.source == "returns"

    def test_photos_are_stored_under_the_upload_directory(self, session: Session, upload_dir) -> None:  # type: ignore[no-untyped-def]
        order = make_order(session)
        make_shipment(session, order=order)
        data = ReturnApply(kind="refund", reason="damaged")
        request = service.submit_return(
            session, order_id=order.id, data=data, photos=[(PNG, "a.png"), (JPEG, "b")]
        )
        uploads = session.scalars(select(PortalUpload).where(PortalUpload.request_id == request.id)).all()
        assert sorted(u.content_type for u in uploads) == ["image/jpeg", "image/png"]
        assert all((upload_dir / u.stored_name).read_bytes() in (PNG, JPEG) for u in uploads)


class TestUploads:
    def test_html_named_like_a_photo_is_refused(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        data = ReturnApply(kind="refund", reason="damaged")
        with pytest.raises(UploadRejectedError, match="不是有效的图片"):
            service.submit_return(
                session, order_id=order.id, data=data, photos=[(b"<html>x</html>", "a.jpg")]
            )

    def test_oversized_photo_is_refused(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        big = PNG + b"\x00" * (5 * 1024 * 1024)
        with pytest.raises(UploadRejectedError, match="超过 5 MB"):
            service.submit_return(
                session,
                order_id=order.id,
                data=ReturnApply(kind="refund", reason="damaged"),
                photos=[(big, "a.png")],
            )

    def test_too_many_photos_are_refused(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        with pytest.raises(UploadRejectedError, match="最多"):
            service.submit_return(
                session,
                order_id=order.id,
                data=ReturnApply(kind="refund", reason="damaged"),
                photos=[(PNG, f"{n}.png") for n in range(7)],
            )

    def test_refused_upload_in_the_portal_stores_nothing(
        self, session: Session, client: TestClient, upload_dir
    ) -> None:  # type: ignore[no-untyped-def]
        order = make_order(session)
        make_shipment(session, order=order)
        _login(client, order.id)
        response = client.post(
            "/portal/apply/return",
            data={"kind": "refund", "reason": "damaged"},
            files=[("photos", ("evil.jpg", b"MZ\x90\x00binary", "image/jpeg"))],
        )
        assert response.status_code == 422
        assert "不是有效的图片" in response.text
        assert not upload_dir.exists() or not any(upload_dir.rglob("*.*"))


class TestProgress:
    def test_resolving_the_ticket_completes_the_request_and_messages_the_customer(
        self, session: Session
    ) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        request = service.submit_address_change(session, order_id=order.id, data=NEW_ADDRESS)
        publish(session, TicketResolved(ticket_id=request.ticket_id))
        session.refresh(request)
        assert request.status == RequestStatus.COMPLETED
        texts = [m.payload["text"] for m in session.scalars(select(OutboxMessage))]
        assert any("已完成" in text for text in texts)

    def test_customer_cannot_open_another_orders_request(self, session: Session, client: TestClient) -> None:
        mine, theirs = (
            make_order(session, status=OrderStatus.PAID),
            make_order(session, status=OrderStatus.PAID),
        )
        request = service.submit_address_change(session, order_id=theirs.id, data=NEW_ADDRESS)
        _login(client, mine.id)
        assert client.get(f"/portal/requests/{request.id}").status_code == 404

    def test_agent_step_appears_on_the_progress_page(self, session: Session, client: TestClient) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        request = service.submit_address_change(session, order_id=order.id, data=NEW_ADDRESS)
        service.advance(
            session, request_id=request.id, status=RequestStatus.PROCESSING, message="仓库正在改单"
        )
        _login(client, order.id)
        page = client.get(f"/portal/requests/{request.id}").text
        assert "仓库正在改单" in page
        assert "处理中" in page


class TestReturnTasks:
    def test_overdue_self_send_return_is_chased_once(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        data = ReturnApply(kind="return", reason="not_fit", return_method=ReturnMethod.SELF_SEND)
        service.submit_return(session, order_id=order.id, data=data)
        later = utcnow() + timedelta(days=4)
        assert service.chase_self_sent_returns(session, now=later) == 1
        assert service.chase_self_sent_returns(session, now=later) == 0
        texts = [m.payload["text"] for m in session.scalars(select(OutboxMessage))]
        assert sum("还未寄出" in text for text in texts) == 1

    def test_self_send_return_is_not_chased_before_it_is_due(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        data = ReturnApply(kind="return", reason="not_fit", return_method=ReturnMethod.SELF_SEND)
        service.submit_return(session, order_id=order.id, data=data)
        assert service.chase_self_sent_returns(session, now=utcnow() + timedelta(days=1)) == 0

    def test_completing_the_request_closes_its_task(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        data = ReturnApply(kind="return", reason="not_fit", return_method=ReturnMethod.RUNNER)
        request = service.submit_return(session, order_id=order.id, data=data)
        service.advance(session, request_id=request.id, status=RequestStatus.COMPLETED, message="已退款")
        task = session.scalars(select(ReturnTask).where(ReturnTask.request_id == request.id)).one()
        assert task.status == "done"


class TestAgentConsole:
    def test_agent_advances_a_request_from_the_console(
        self,
        session: Session,
        client: TestClient,
        auth_headers,  # type: ignore[no-untyped-def]
    ) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        request = service.submit_address_change(session, order_id=order.id, data=NEW_ADDRESS)
        headers = auth_headers()
        page = client.get("/console/selfservice/requests", headers=headers)
        assert order.source_id in page.text
        response = client.post(
            f"/console/selfservice/requests/{request.id}/advance",
            data={"status": "processing", "message": "仓库已改单"},
            headers=headers,
            follow_redirects=False,
        )
        assert response.status_code == 303
        session.refresh(request)
        assert request.status == RequestStatus.PROCESSING

    def test_agent_sees_a_customer_photo(
        self,
        session: Session,
        client: TestClient,
        auth_headers,  # type: ignore[no-untyped-def]
    ) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        data = ReturnApply(kind="refund", reason="damaged")
        request = service.submit_return(session, order_id=order.id, data=data, photos=[(PNG, "a.png")])
        upload = session.scalars(select(PortalUpload).where(PortalUpload.request_id == request.id)).one()
        response = client.get(f"/console/selfservice/uploads/{upload.id}", headers=auth_headers())
        assert response.status_code == 200
        assert response.content == PNG
        assert response.headers["content-type"] == "image/png"


class TestPortalUploadLimits:
    def test_oversized_photo_posted_through_the_portal_is_refused(
        self,
        session: Session,
        client: TestClient,
        upload_dir,  # type: ignore[no-untyped-def]
    ) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        _login(client, order.id)
        big = PNG + b"\x00" * (6 * 1024 * 1024)
        response = client.post(
            "/portal/apply/return",
            data={"kind": "refund", "reason": "damaged"},
            files=[("photos", ("big.png", big, "image/png"))],
        )
        assert response.status_code == 422
        assert "超过 5 MB" in response.text


def test_long_agent_step_still_fits_one_sms(session: Session) -> None:
    order = make_order(session, status=OrderStatus.PAID)
    request = service.submit_address_change(session, order_id=order.id, data=NEW_ADDRESS)
    service.advance(session, request_id=request.id, status=RequestStatus.PROCESSING, message="很" * 500)
    texts = [
        m.payload["text"]
        for m in session.scalars(select(OutboxMessage).where(OutboxMessage.subject_id == order.id))
    ]
    assert max(len(text) for text in texts) <= 500
