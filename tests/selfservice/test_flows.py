"""The portal flows not covered elsewhere, end to end through the portal's routes: installation,
delayed shipping, missing item, the same-city runner choice, and retention offers on the progress
page."""

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.orders.models import Order, OrderStatus
from aftersales.returns.service import OFFER_LABELS
from aftersales.selfservice import access, bot
from aftersales.selfservice.models import PortalRequest, RequestKind, ReturnMethod, ReturnTask
from aftersales.tickets.models import Ticket
from tests.builders import make_order, make_shipment
from tests.builders.selfservice import PNG, make_item

EXCHANGE_OFFER = next(iter(OFFER_LABELS.values()))


def _in_days(days: int) -> date:
    return (utcnow().astimezone(SHANGHAI) + timedelta(days=days)).date()


def _login(client: TestClient, order: Order) -> None:
    client.cookies.set(access.SESSION_COOKIE, access.issue_session(order.id), path="/portal")


def _shipped_and_logged_in(session: Session, client: TestClient, *, delivered: bool = False) -> Order:
    order = make_order(session)
    make_shipment(session, order=order, delivered_at=utcnow() if delivered else None)
    _login(client, order)
    return order


def _post(client: TestClient, flow: str, data: dict[str, object], **extra: object):  # type: ignore[no-untyped-def]
    return client.post(f"/portal/apply/{flow}", data=data, follow_redirects=False, **extra)  # type: ignore[arg-type]


def _only_request(session: Session, order: Order) -> PortalRequest:
    return session.scalars(select(PortalRequest).where(PortalRequest.order_id == order.id)).one()


def _ticket(session: Session, request: PortalRequest) -> Ticket:
    ticket = session.get(Ticket, request.ticket_id)
    assert ticket is not None
    return ticket


class TestInstallation:
    def test_request_opens_a_ticket_with_the_date_and_lands_on_progress(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        _login(client, order)
        day = _in_days(3)
        response = _post(
            client, "installation", {"preferred_date": day.isoformat(), "contact_phone": "13900001111"}
        )
        assert response.status_code == 303
        request = _only_request(session, order)
        assert request.kind == RequestKind.INSTALLATION
        assert response.headers["location"] == f"/portal/requests/{request.id}?new=1"
        assert day.isoformat() in _ticket(session, request).description

    def test_date_beyond_sixty_days_is_refused_naming_the_field(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        _login(client, order)
        response = _post(
            client,
            "installation",
            {"preferred_date": _in_days(61).isoformat(), "contact_phone": "13900001111"},
        )
        assert response.status_code == 422
        assert "60 天" in response.text


class TestDelayedShipping:
    def test_request_before_shipping_goes_to_the_warehouse(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session, status=OrderStatus.PAID)
        _login(client, order)
        response = _post(client, "delay", {"ship_after": _in_days(5).isoformat(), "note": "出差中"})
        assert response.status_code == 303
        request = _only_request(session, order)
        assert request.kind == RequestKind.DELAY_SHIPPING
        ticket = _ticket(session, request)
        assert "出差中" in ticket.description
        assert ticket.subcategory == "延迟发货"

    def test_request_after_shipping_is_refused(self, session: Session, client: TestClient) -> None:
        order = _shipped_and_logged_in(session, client)
        response = _post(client, "delay", {"ship_after": _in_days(5).isoformat()})
        assert response.status_code == 409
        assert (
            session.scalars(select(PortalRequest).where(PortalRequest.order_id == order.id)).first() is None
        )


class TestMissingItem:
    def test_report_names_the_missing_lines_and_keeps_the_photo(
        self, session: Session, client: TestClient
    ) -> None:
        order = _shipped_and_logged_in(session, client, delivered=True)
        line = make_item(session, order=order, title="替换滤芯")
        response = _post(
            client,
            "missing",
            {"line_nos": [str(line.line_no)], "description": "盒子里少了"},
            files=[("photos", ("box.png", PNG, "image/png"))],
        )
        assert response.status_code == 303
        request = _only_request(session, order)
        assert request.details["line_nos"] == [line.line_no]
        assert line.title in _ticket(session, request).description

    def test_a_missing_gift_lands_under_the_gift_category(self, session: Session, client: TestClient) -> None:
        order = _shipped_and_logged_in(session, client, delivered=True)
        make_item(session, order=order, title="乳胶枕")
        gift = make_item(session, order=order, title="真丝眼罩", unit_price_fen=0, is_gift=True)
        assert _post(client, "missing", {"line_nos": [str(gift.line_no)]}).status_code == 303
        ticket = _ticket(session, _only_request(session, order))
        assert (ticket.category, ticket.subcategory, ticket.type) == ("商品问题", "赠品漏发", "reshipment")
        assert "少收赠品: 真丝眼罩 x1" in ticket.description

    def test_a_missing_product_beside_a_gift_stays_a_missing_product(
        self, session: Session, client: TestClient
    ) -> None:
        order = _shipped_and_logged_in(session, client, delivered=True)
        product = make_item(session, order=order, title="乳胶枕")
        gift = make_item(session, order=order, title="真丝眼罩", unit_price_fen=0, is_gift=True)
        assert (
            _post(client, "missing", {"line_nos": [str(product.line_no), str(gift.line_no)]}).status_code
            == 303
        )
        assert _ticket(session, _only_request(session, order)).subcategory == "错发漏发"

    def test_the_form_marks_gift_lines(self, session: Session, client: TestClient) -> None:
        order = _shipped_and_logged_in(session, client, delivered=True)
        make_item(session, order=order, title="真丝眼罩", unit_price_fen=0, is_gift=True)
        assert "【赠品】真丝眼罩" in client.get("/portal/apply/missing").text

    def test_a_line_of_another_order_is_refused(self, session: Session, client: TestClient) -> None:
        _shipped_and_logged_in(session, client)
        response = _post(client, "missing", {"line_nos": ["99"]})
        assert response.status_code == 422
        assert "请选择本订单中的商品" in response.text


class TestMissingGiftAnswer:
    def test_the_bot_names_the_separate_gift_parcel(self, session: Session) -> None:
        order = make_order(session)
        make_item(session, order=order, title="乳胶枕")
        gift = make_item(session, order=order, title="真丝眼罩", unit_price_fen=0, is_gift=True)
        make_shipment(
            session, order=order, courier="yto", tracking_no="YT0000000001", item_lines=[gift.line_no]
        )
        reply = bot.ask(session, text="赠品没收到", session_key="gift-1", order_id=order.id)
        assert reply.intent == "missing_item"
        assert "赠品是单独寄出的:圆通速递 YT0000000001" in reply.answer

    def test_without_a_gift_parcel_the_bot_says_how_to_claim_it(self, session: Session) -> None:
        order = make_order(session)
        make_item(session, order=order, title="真丝眼罩", unit_price_fen=0, is_gift=True)
        reply = bot.ask(session, text="赠品没收到", session_key="gift-2", order_id=order.id)
        assert "如赠品(真丝眼罩)确实没收到,在自助售后「少件/漏发」勾选【赠品】提交" in reply.answer


class TestRunnerChoice:
    def test_choosing_the_runner_creates_a_runner_task(self, session: Session, client: TestClient) -> None:
        order = _shipped_and_logged_in(session, client)
        data = {"kind": "return", "reason": "not_fit", "return_method": "runner"}
        assert _post(client, "return", data).status_code == 303
        request = _only_request(session, order)
        task = session.scalars(select(ReturnTask).where(ReturnTask.request_id == request.id)).one()
        assert task.method == ReturnMethod.RUNNER
        page = client.get(f"/portal/requests/{request.id}")
        assert "待仓库安排同城跑腿取件" in page.text


class TestRetentionOffers:
    def _progress_of_return(self, session: Session, client: TestClient, reason: str) -> str:
        order = _shipped_and_logged_in(session, client)
        _post(client, "return", {"kind": "return", "reason": reason, "return_method": "self_send"})
        return client.get(f"/portal/requests/{_only_request(session, order).id}").text

    def test_progress_page_of_a_non_quality_return_shows_the_offers(
        self, session: Session, client: TestClient
    ) -> None:
        page = self._progress_of_return(session, client, "not_fit")
        assert "也可以考虑" in page
        assert EXCHANGE_OFFER in page

    def test_progress_page_of_a_quality_return_shows_no_offers(
        self, session: Session, client: TestClient
    ) -> None:
        assert "也可以考虑" not in self._progress_of_return(session, client, "damaged")
