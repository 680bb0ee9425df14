"""Ids of rows that do not exist are the client's mistake: 422 naming the field, never a 500."""

from collections.abc import Callable

from fastapi.testclient import TestClient

from aftersales.auth.models import Role

UNKNOWN = 987654


def test_qc_settings_for_an_unknown_shop_is_422(
    client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    response = client.put(
        f"/api/qc/shops/{UNKNOWN}/settings", json={"pass_score": 80}, headers=auth_headers(Role.ADMIN)
    )
    assert response.status_code == 422
    assert "shop_id" in response.json()["detail"]


def test_chat_rating_invitation_for_an_unknown_shop_is_422(
    client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    body = {"shop_id": UNKNOWN, "session_key": "s-1"}
    response = client.post("/api/ratings/invitations/chat", json=body, headers=auth_headers(Role.AGENT))
    assert response.status_code == 422
    assert "shop_id" in response.json()["detail"]


def test_quick_reply_for_an_unknown_shop_is_422(
    client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    body = {"scenario": "general", "shortcut": "hi", "title": "问候", "body": "亲,在的", "shop_id": UNKNOWN}
    response = client.post("/api/selfservice/quick-replies", json=body, headers=auth_headers(Role.SUPERVISOR))
    assert response.status_code == 422
    assert "shop_id" in response.json()["detail"]


def test_quick_reply_keyword_longer_than_20_characters_is_422(
    client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    body = {
        "scenario": "general",
        "shortcut": "hi",
        "title": "问候",
        "body": "亲,在的",
        "keywords": ["长" * 21],
    }
    response = client.post("/api/selfservice/quick-replies", json=body, headers=auth_headers(Role.SUPERVISOR))
    assert response.status_code == 422


def test_bot_question_for_an_unknown_shop_is_422(
    client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    body = {"text": "我的快递到哪了", "session_key": "s-1", "shop_id": UNKNOWN}
    response = client.post("/api/selfservice/bot/ask", json=body, headers=auth_headers(Role.AGENT))
    assert response.status_code == 422
    assert "shop_id" in response.json()["detail"]
