from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from tests.builders import make_chat, make_shop

Headers = Callable[..., dict[str, str]]


def message(shop_id: int, **overrides: object) -> dict[str, object]:
    return {
        "shop_id": shop_id,
        "platform": "tmall",
        "session_key": "api-1",
        "sender": "customer",
        "text": "在吗",
        "sent_at": "2026-11-12T10:00:00+08:00",
        **overrides,
    }


class TestIngest:
    def test_posting_a_message_creates_it(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        body = client.post("/api/chats/messages", json=message(shop.id), headers=auth_headers()).json()
        assert body == {"received": 1, "created": 1, "sessions": 1}

    def test_posting_the_same_batch_twice_creates_nothing_new(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        batch = [
            message(shop.id),
            message(shop.id, sender="agent", text="您好", sent_at="2026-11-12T10:00:09+08:00"),
        ]
        client.post("/api/chats/messages/batch", json=batch, headers=auth_headers())
        body = client.post("/api/chats/messages/batch", json=batch, headers=auth_headers()).json()
        assert body["created"] == 0

    def test_an_unknown_sender_is_a_422_naming_the_field(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        response = client.post(
            "/api/chats/messages", json=message(shop.id, sender="robot"), headers=auth_headers()
        )
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "sender"

    def test_an_unknown_shop_is_a_422_naming_the_field(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        response = client.post("/api/chats/messages", json=message(999_999), headers=auth_headers())
        assert response.status_code == 422
        assert "shop_id" in response.json()["detail"]


class TestRead:
    def test_session_detail_lists_messages_with_phone_numbers_masked_for_agents(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        chat = make_chat(session, [("customer", 0, "我电话13812345678"), ("agent", 5, "您好")])
        body = client.get(f"/api/chats/sessions/{chat.id}", headers=auth_headers(Role.AGENT)).json()
        assert body["messages"][0]["text"] == "我电话138****5678"

    @pytest.mark.usefixtures("unmasked_admins")
    def test_a_role_the_shop_unmasks_sees_the_whole_text(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        chat = make_chat(session, [("customer", 0, "我电话13812345678")])
        body = client.get(f"/api/chats/sessions/{chat.id}", headers=auth_headers(Role.ADMIN)).json()
        assert body["messages"][0]["text"] == "我电话13812345678"


def test_a_message_without_time_or_id_is_a_422_naming_source_id(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    shop = make_shop(session)
    body = message(shop.id)
    del body["sent_at"]
    response = client.post("/api/chats/messages", json=body, headers=auth_headers())
    assert (response.status_code, "source_id" in response.text) == (422, True)
