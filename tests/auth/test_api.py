from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from tests.builders import make_user
from tests.builders.auth import PASSWORD


class TestLogin:
    def test_correct_password_returns_a_bearer_token(self, client: TestClient, session: Session) -> None:
        user = make_user(session, role=Role.AGENT)
        response = client.post("/api/auth/token", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 200
        token = response.json()["access_token"]
        me = client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["username"] == user.username

    def test_wrong_password_is_401_with_a_chinese_message(self, client: TestClient, session: Session) -> None:
        user = make_user(session)
        response = client.post("/api/auth/token", data={"username": user.username, "password": "nope-nope"})
        assert response.status_code == 401
        assert response.json() == {"error": "InvalidCredentialsError", "detail": "用户名或密码错误"}


class TestAccessControl:
    def test_request_without_token_is_401(self, client: TestClient) -> None:
        response = client.get("/api/orders")
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"

    def test_unknown_token_is_401(self, client: TestClient) -> None:
        assert client.get("/api/orders", headers={"Authorization": "Bearer forged"}).status_code == 401

    def test_agent_may_not_list_users(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        assert client.get("/api/users", headers=auth_headers(Role.AGENT)).status_code == 403

    def test_supervisor_may_not_create_users(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        body = {"username": "newbie", "display_name": "新人", "role": "agent", "password": "long-enough-1"}
        assert client.post("/api/users", json=body, headers=auth_headers(Role.SUPERVISOR)).status_code == 403

    def test_admin_creates_a_user(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        body = {"username": "newbie", "display_name": "新人", "role": "agent", "password": "long-enough-1"}
        response = client.post("/api/users", json=body, headers=auth_headers(Role.ADMIN))
        assert response.status_code == 201
        assert response.json()["role"] == "agent"

    def test_short_password_is_422_naming_the_field(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        body = {"username": "newbie", "display_name": "新人", "role": "agent", "password": "short"}
        response = client.post("/api/users", json=body, headers=auth_headers(Role.ADMIN))
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "password"
