import re
from datetime import timedelta

import pytest
import time_machine
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.messaging.models import OutboxMessage
from aftersales.selfservice import access
from aftersales.selfservice.errors import (
    CodeThrottledError,
    PortalLinkInvalidError,
    PortalLockedError,
    PortalLoginError,
)
from tests.builders import make_order


def _sent_code(session: Session, order_id: int) -> str:
    message = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.subject_type == "order", OutboxMessage.subject_id == order_id)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None
    match = re.search(r"验证码 (\d{6})", message.payload["text"])
    assert match is not None
    return match.group(1)


class TestSignedLinks:
    def test_link_opens_the_portal_of_its_order(self, session: Session, client: TestClient) -> None:
        order = make_order(session)
        response = client.get(access.portal_path(order.id), follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/portal/"
        assert order.source_id in client.get("/portal/").text

    def test_link_is_refused_after_it_expires(self, session: Session) -> None:
        order = make_order(session)
        token = access.sign_link(order.id)
        with time_machine.travel(utcnow() + timedelta(hours=73)):
            with pytest.raises(PortalLinkInvalidError, match="过期"):
                access.read_link(token)

    def test_link_is_accepted_before_it_expires(self, session: Session) -> None:
        order = make_order(session)
        token = access.sign_link(order.id)
        with time_machine.travel(utcnow() + timedelta(hours=71)):
            assert access.read_link(token) == order.id

    def test_tampered_link_is_refused(self, session: Session) -> None:
        order = make_order(session)
        token = access.sign_link(order.id)
        with pytest.raises(PortalLinkInvalidError):
            access.read_link(token[:-2] + ("AA" if not token.endswith("AA") else "BB"))

    def test_session_cookie_is_not_a_link(self, session: Session) -> None:
        """Salts differ: a stolen session value cannot be replayed as a link and vice versa."""
        with pytest.raises(PortalLinkInvalidError):
            access.read_link(access.issue_session(7))

    def test_portal_without_a_session_redirects_to_login(self, client: TestClient) -> None:
        response = client.get("/portal/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/portal/login"

    def test_forged_session_cookie_redirects_to_login(self, client: TestClient) -> None:
        client.cookies.set(access.SESSION_COOKIE, "forged.value.here", path="/portal")
        response = client.get("/portal/", follow_redirects=False)
        assert response.status_code == 303


class TestOneTimeCode:
    def test_code_is_sent_through_the_outbox_to_the_order_phone(self, session: Session) -> None:
        order = make_order(session, receiver_phone="13900001111")
        access.request_code(session, order_no=order.source_id, phone="139 0000 1111")
        message = session.scalars(select(OutboxMessage).where(OutboxMessage.subject_id == order.id)).one()
        assert message.channel == "sms"
        assert message.destination == "13900001111"

    def test_correct_code_logs_in(self, session: Session) -> None:
        order = make_order(session)
        access.request_code(session, order_no=order.source_id, phone="13812345678")
        code = _sent_code(session, order.id)
        assert (
            access.verify_code(session, order_no=order.source_id, phone="13812345678", code=code) == order.id
        )

    def test_code_works_only_once(self, session: Session) -> None:
        order = make_order(session)
        access.request_code(session, order_no=order.source_id, phone="13812345678")
        code = _sent_code(session, order.id)
        access.verify_code(session, order_no=order.source_id, phone="13812345678", code=code)
        with pytest.raises(PortalLoginError):
            access.verify_code(session, order_no=order.source_id, phone="13812345678", code=code)

    def test_phone_of_another_person_gets_no_code(self, session: Session) -> None:
        order = make_order(session)
        with pytest.raises(PortalLoginError, match="不匹配"):
            access.request_code(session, order_no=order.source_id, phone="13700000000")
        assert session.scalars(select(OutboxMessage).where(OutboxMessage.subject_id == order.id)).all() == []

    def test_second_code_within_a_minute_is_throttled(self, session: Session) -> None:
        order = make_order(session)
        access.request_code(session, order_no=order.source_id, phone="13812345678")
        with pytest.raises(CodeThrottledError, match="秒后"):
            access.request_code(session, order_no=order.source_id, phone="13812345678")

    def test_sixth_code_in_an_hour_is_throttled(self, session: Session) -> None:
        order = make_order(session)
        start = utcnow()
        for minute in range(5):
            with time_machine.travel(start + timedelta(minutes=2 * minute), tick=False):
                access.request_code(session, order_no=order.source_id, phone="13812345678")
        with time_machine.travel(start + timedelta(minutes=12), tick=False):
            with pytest.raises(CodeThrottledError, match="一小时"):
                access.request_code(session, order_no=order.source_id, phone="13812345678")

    def test_five_wrong_codes_lock_the_order_out(self, session: Session) -> None:
        order = make_order(session)
        access.request_code(session, order_no=order.source_id, phone="13812345678")
        code = _sent_code(session, order.id)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(4):
            with pytest.raises(PortalLoginError):
                access.verify_code(session, order_no=order.source_id, phone="13812345678", code=wrong)
        with pytest.raises(PortalLockedError):
            access.verify_code(session, order_no=order.source_id, phone="13812345678", code=wrong)
        with pytest.raises(PortalLockedError, match="锁定"):
            access.verify_code(session, order_no=order.source_id, phone="13812345678", code=code)

    def test_lock_out_ends_after_its_period(self, session: Session) -> None:
        order = make_order(session)
        for _ in range(5):
            with pytest.raises((PortalLoginError, PortalLockedError)):
                access.request_code(session, order_no=order.source_id, phone="13700000000")
        with time_machine.travel(utcnow() + timedelta(minutes=31), tick=False):
            access.request_code(session, order_no=order.source_id, phone="13812345678")

    def test_failed_login_in_the_portal_is_counted_even_though_the_page_shows_an_error(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session)
        for _ in range(5):
            client.post(
                "/portal/login", data={"order_no": order.source_id, "phone": "13700000000", "action": "send"}
            )
        response = client.post(
            "/portal/login", data={"order_no": order.source_id, "phone": "13812345678", "action": "send"}
        )
        assert response.status_code == 429
        assert "锁定" in response.text

    def test_login_through_the_portal_form_sets_the_session(
        self, session: Session, client: TestClient
    ) -> None:
        order = make_order(session)
        form = {"order_no": order.source_id, "phone": "13812345678"}
        assert client.post("/portal/login", data={**form, "action": "send"}).status_code == 200
        code = _sent_code(session, order.id)
        response = client.post(
            "/portal/login", data={**form, "action": "verify", "code": code}, follow_redirects=False
        )
        assert response.status_code == 303
        assert access.SESSION_COOKIE in response.cookies


def test_agent_sends_a_portal_link_that_opens_the_order(
    session: Session,
    client: TestClient,
    auth_headers,  # type: ignore[no-untyped-def]
) -> None:
    order = make_order(session)
    response = client.post(
        f"/api/selfservice/orders/{order.id}/portal-link?send=true", headers=auth_headers()
    )
    assert response.status_code == 200
    url = response.json()["url"]
    sms = session.scalars(select(OutboxMessage).where(OutboxMessage.subject_id == order.id)).one()
    assert url in sms.payload["text"]
    client.headers.pop("Authorization", None)
    opened = client.get(url.removeprefix("http://127.0.0.1:8000"), follow_redirects=True)
    assert order.source_id in opened.text
