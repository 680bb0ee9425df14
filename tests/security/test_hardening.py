"""Hardening found missing when the server was attacked: login throttling, a portal lock-out that
an outsider cannot turn against the customer, browser security headers, a body cap that acts
before anything is spooled, NUL characters, free-text limits and ids that name no row."""

import asyncio
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import LoginFailure, Role
from aftersales.config import get_settings
from aftersales.kit.time import utcnow
from aftersales.selfservice import access
from aftersales.selfservice.errors import PortalLockedError, PortalLoginError
from aftersales.selfservice.settings import get_selfservice_settings
from aftersales.web.middleware import BodySizeLimitMiddleware
from tests.builders import make_order, make_shop, make_ticket, make_user
from tests.builders.auth import PASSWORD


def client_from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def api_login(client: TestClient, username: str, password: str) -> int:
    return client.post("/api/auth/token", data={"username": username, "password": password}).status_code


class TestLoginThrottling:
    def test_thirty_wrong_passwords_then_the_right_one_is_refused(
        self, session: Session, app: FastAPI
    ) -> None:
        user = make_user(session)
        attacker = client_from(app, "203.0.113.9")
        codes = [api_login(attacker, user.username, f"guess-{n}") for n in range(30)]
        assert codes[:5] == [401] * 5
        assert set(codes[5:]) == {429}
        assert api_login(attacker, user.username, PASSWORD) == 429

    def test_the_same_user_from_another_address_still_logs_in(self, session: Session, app: FastAPI) -> None:
        user = make_user(session)
        attacker = client_from(app, "203.0.113.9")
        for n in range(10):
            api_login(attacker, user.username, f"guess-{n}")
        assert api_login(client_from(app, "198.51.100.7"), user.username, PASSWORD) == 200

    def test_the_console_login_page_says_to_wait(self, session: Session, app: FastAPI) -> None:
        user = make_user(session)
        browser = client_from(app, "203.0.113.9")
        for n in range(6):
            browser.post("/console/login", data={"username": user.username, "password": f"guess-{n}"})
        response = browser.post("/console/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 429
        assert "分钟后再试" in response.text

    def test_failures_are_stored_so_every_worker_counts_them(self, session: Session, app: FastAPI) -> None:
        user = make_user(session)
        api_login(client_from(app, "203.0.113.9"), user.username, "wrong")
        count = session.scalar(
            select(func.count()).where(
                LoginFailure.username == user.username, LoginFailure.client == "203.0.113.9"
            )
        )
        assert count == 1

    def test_the_lock_ends_after_its_backoff(self, session: Session, app: FastAPI) -> None:
        user = make_user(session)
        long_ago = utcnow() - timedelta(minutes=20)
        for _ in range(6):  # six failures: locked for one minute after the last one
            session.add(LoginFailure(username=user.username, client="203.0.113.9", failed_at=long_ago))
        session.flush()
        assert api_login(client_from(app, "203.0.113.9"), user.username, PASSWORD) == 200

    def test_a_successful_login_clears_the_count(self, session: Session, app: FastAPI) -> None:
        user = make_user(session)
        client = client_from(app, "203.0.113.9")
        for n in range(4):
            api_login(client, user.username, f"guess-{n}")
        assert api_login(client, user.username, PASSWORD) == 200
        assert [api_login(client, user.username, f"again-{n}") for n in range(5)] == [401] * 5


class TestPortalLockout:
    def test_an_outsider_who_knows_the_order_number_cannot_lock_the_customer_out(
        self, session: Session
    ) -> None:
        order = make_order(session, receiver_phone="13812345678")
        for _ in range(get_selfservice_settings().max_failures + 2):
            with pytest.raises((PortalLoginError, PortalLockedError)):
                access.request_code(
                    session, order_no=order.source_id, phone="13700000000", client="203.0.113.9"
                )
        with pytest.raises(PortalLockedError):
            access.request_code(session, order_no=order.source_id, phone="13812345678", client="203.0.113.9")
        code = access.request_code(
            session, order_no=order.source_id, phone="13812345678", client="198.51.100.7"
        )
        assert code.order_id == order.id

    def test_a_code_guessed_at_from_many_addresses_is_spent(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        order = make_order(session, receiver_phone="13812345678")
        monkeypatch.setattr(access.secrets, "randbelow", lambda _n: 123456)
        access.request_code(session, order_no=order.source_id, phone="13812345678", client="198.51.100.7")
        for n in range(get_selfservice_settings().max_failures):
            with pytest.raises(PortalLoginError):
                access.verify_code(
                    session,
                    order_no=order.source_id,
                    phone="13812345678",
                    code="000000",
                    client=f"203.0.113.{n}",
                )
        with pytest.raises(PortalLoginError, match="验证码已失效"):
            access.verify_code(
                session, order_no=order.source_id, phone="13812345678", code="123456", client="x"
            )


class TestSecurityHeaders:
    @pytest.mark.parametrize(
        "path",
        ["/console/login", "/healthz", "/static/htmx.min.js", "/portal/login", "/no-such-page", "/api/me"],
    )
    def test_every_response_carries_the_headers(self, client: TestClient, path: str) -> None:
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"

    def test_no_page_needs_an_inline_script(
        self, client: TestClient, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        page = client.get("/console/", headers=auth_headers(Role.ADMIN)).text
        assert "<script>" not in page
        assert "hx-on" not in client.get("/portal/login").text


class TestBodyCap:
    def test_a_declared_length_over_the_cap_is_refused_before_reading(self, client: TestClient) -> None:
        too_big = str(get_settings().max_request_bytes + 1)
        response = client.post(
            "/api/auth/token", content=b"x", headers={"Content-Length": too_big, "Content-Type": "text/plain"}
        )
        assert response.status_code == 413
        assert "MB 上限" in response.json()["detail"]

    def test_a_streamed_body_is_cut_off_at_the_cap(self, app: FastAPI) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(64):
                yield b"a" * 65536  # 4 MiB in all, no Content-Length

        capped = BodySizeLimitMiddleware(app, max_bytes=1024 * 1024)
        response = TestClient(capped).post(
            "/portal/apply/return",
            content=chunks(),
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
        assert response.status_code == 413

    def test_the_app_is_never_asked_to_read_an_announced_oversized_body(self) -> None:
        received: list[object] = []

        async def app(scope: object, receive: Callable[..., object], send: object) -> None:
            received.append(await receive())  # type: ignore[misc]

        async def receive() -> dict[str, object]:
            raise AssertionError("the body was read")

        sent: list[dict[str, object]] = []

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        scope = {"type": "http", "path": "/", "headers": [(b"content-length", b"999999999")]}
        asyncio.run(BodySizeLimitMiddleware(app, max_bytes=1024)(scope, receive, send))  # type: ignore[arg-type]
        assert (received, sent[0]["status"]) == ([], 413)


class TestBadInput:
    @pytest.mark.parametrize(
        ("method", "path", "kwargs"),
        [
            ("post", "/api/tickets", {"json": {"title": "a\x00b", "type": "consultation"}}),
            ("get", "/api/orders?q=a%00b", {}),
            ("post", "/console/login", {"data": {"username": "a\x00", "password": "x"}}),
        ],
    )
    def test_nul_characters_are_422(
        self,
        client: TestClient,
        auth_headers: Callable[..., dict[str, str]],
        method: str,
        path: str,
        kwargs: dict,
    ) -> None:
        response = client.request(method.upper(), path, headers=auth_headers(Role.ADMIN), **kwargs)
        assert response.status_code == 422
        assert response.json()["fields"][0]["reason"] == "不能包含 NUL 字符"

    def test_a_nul_in_a_portal_form_is_422(self, session: Session, client: TestClient) -> None:
        order = make_order(session)
        client.cookies.set(access.SESSION_COOKIE, access.issue_session(order.id), path="/portal")
        response = client.post(
            "/portal/apply/delay", files={"note": (None, "a\x00b")}, follow_redirects=False
        )
        assert response.status_code == 422

    def test_an_overlong_sku_name_is_422_not_a_500(
        self, session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        shop = make_shop(session)
        body = {"code": "S1", "name": "长" * 300, "price_fen": 100}
        response = client.post(f"/api/shops/{shop.id}/skus", json=body, headers=auth_headers(Role.ADMIN))
        assert response.status_code == 422
        assert "name" in response.json()["detail"]

    @pytest.mark.parametrize("price", [10**13, -1])
    def test_money_outside_the_shared_bounds_is_422(
        self, session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]], price: int
    ) -> None:
        body = {"code": "S2", "name": "商品", "price_fen": price}
        response = client.post(
            f"/api/shops/{make_shop(session).id}/skus", json=body, headers=auth_headers(Role.ADMIN)
        )
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "price_fen"

    def test_nan_as_an_amount_is_422(
        self, session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        shop = make_shop(session)
        body = b'{"code": "S3", "name": "x", "price_fen": NaN}'
        headers = {**auth_headers(Role.ADMIN), "Content-Type": "application/json"}
        response = client.post(f"/api/shops/{shop.id}/skus", content=body, headers=headers)
        assert response.status_code == 422

    def test_an_id_that_names_no_row_is_422_not_a_500(
        self, session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        order = make_order(session)
        body = {"order_id": order.id, "days": 3, "reason": "客户出差", "request_id": 999999}
        response = client.post(
            "/api/returns/window-extensions", json=body, headers=auth_headers(Role.SUPERVISOR)
        )
        assert response.status_code == 422
        assert "request_id" in response.json()["detail"]

    def test_a_foreign_key_to_no_row_is_422_not_a_500(
        self, session: Session, client: TestClient, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        ticket = make_ticket(session)
        response = client.post(
            f"/api/tickets/{ticket.id}/assign",
            json={"assignee_id": 999999},
            headers=auth_headers(Role.SUPERVISOR),
        )
        assert response.status_code == 422
        assert "引用的记录不存在" in response.json()["detail"]
