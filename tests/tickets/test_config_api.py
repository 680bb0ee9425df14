"""Configuration CRUD: groups, bots, shifts, roster and taxonomy, refusing deletes of what is in use."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.tickets.shifts import service as shifts
from tests.builders import make_user
from tests.builders.tickets import make_bot, make_ticket

Headers = Callable[..., dict[str, str]]


def new_group(client: TestClient, headers: dict[str, str], code: str = "night") -> dict:  # type: ignore[type-arg]
    response = client.post("/api/ticket-groups", json={"code": code, "name": "夜间组"}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def new_shift(client: TestClient, headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    body = {"code": "late", "name": "深夜班", "start": "20:00", "end": "24:00"}
    response = client.post("/api/shifts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def new_node(client: TestClient, headers: dict[str, str], parent_id: int | None = None) -> dict:  # type: ignore[type-arg]
    body = {"name": "测试分类" if parent_id is None else "测试子类", "parent_id": parent_id}
    response = client.post("/api/ticket-taxonomy", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


class TestGroups:
    def test_admin_renames_a_group(self, client: TestClient, auth_headers: Headers) -> None:
        admin = auth_headers(Role.ADMIN)
        new_group(client, admin)
        response = client.patch("/api/ticket-groups/night", json={"name": "夜班组"}, headers=admin)
        assert (response.status_code, response.json()["name"]) == (200, "夜班组")

    def test_unused_group_is_deleted(self, client: TestClient, auth_headers: Headers) -> None:
        admin = auth_headers(Role.ADMIN)
        new_group(client, admin)
        deleted = client.delete("/api/ticket-groups/night", headers=admin)
        codes = [g["code"] for g in client.get("/api/ticket-groups", headers=admin).json()]
        assert (deleted.status_code, "night" in codes) == (204, False)

    def test_group_with_tickets_is_not_deleted(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        admin = auth_headers(Role.ADMIN)
        new_group(client, admin)
        make_ticket(session, group_code="night")
        response = client.delete("/api/ticket-groups/night", headers=admin)
        assert (response.status_code, "工单 1" in response.json()["detail"]) == (409, True)

    def test_group_with_an_active_bot_is_not_deleted(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        admin = auth_headers(Role.ADMIN)
        new_group(client, admin)
        make_bot(session, group_code="night")
        assert client.delete("/api/ticket-groups/night", headers=admin).status_code == 409

    def test_built_in_group_is_not_deleted(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.delete("/api/ticket-groups/vip", headers=auth_headers(Role.ADMIN))
        assert response.status_code == 409


class TestBots:
    def test_admin_changes_a_bots_url_and_secret(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        bot = make_bot(session)
        body = {"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=new", "secret": "S2"}
        response = client.patch(f"/api/ticket-bots/{bot.id}", json=body, headers=auth_headers(Role.ADMIN))
        assert (response.json()["url"], response.json()["has_secret"], "S2" in response.text) == (
            body["url"],
            True,
            False,
        )

    def test_empty_secret_removes_it(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        bot = make_bot(session, secret="S1")
        response = client.patch(
            f"/api/ticket-bots/{bot.id}", json={"secret": ""}, headers=auth_headers(Role.ADMIN)
        )
        assert response.json()["has_secret"] is False

    def test_dingtalk_url_without_token_is_refused(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        bot = make_bot(session, channel="dingtalk", url="https://oapi.dingtalk.com/robot/send?access_token=t")
        body = {"url": "https://oapi.dingtalk.com/robot/send"}
        response = client.patch(f"/api/ticket-bots/{bot.id}", json=body, headers=auth_headers(Role.ADMIN))
        assert response.status_code == 422


class TestShifts:
    def test_unused_shift_is_deleted(self, client: TestClient, auth_headers: Headers) -> None:
        supervisor = auth_headers(Role.SUPERVISOR)
        shift = new_shift(client, supervisor)
        deleted = client.delete(f"/api/shifts/{shift['id']}", headers=supervisor)
        ids = [s["id"] for s in client.get("/api/shifts", headers=supervisor).json()]
        assert (deleted.status_code, shift["id"] in ids) == (204, False)

    def test_rostered_shift_is_not_deleted(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        supervisor = auth_headers(Role.SUPERVISOR)
        shift = new_shift(client, supervisor)
        shifts.set_roster(session, user_id=make_user(session).id, shift_id=shift["id"])
        response = client.delete(f"/api/shifts/{shift['id']}", headers=supervisor)
        assert (response.status_code, "排班 1" in response.json()["detail"]) == (409, True)

    def test_agents_read_the_roster(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        supervisor = auth_headers(Role.SUPERVISOR)
        shift = new_shift(client, supervisor)
        agent = make_user(session)
        client.put(f"/api/shifts/roster/{agent.id}", json={"shift_id": shift["id"]}, headers=supervisor)
        roster = client.get("/api/shifts/roster", headers=auth_headers(Role.AGENT)).json()
        assert {"user_id": agent.id, "shift_id": shift["id"]} in roster


class TestTaxonomy:
    def test_unused_leaf_is_deleted(self, client: TestClient, auth_headers: Headers) -> None:
        supervisor = auth_headers(Role.SUPERVISOR)
        node = new_node(client, supervisor)
        assert client.delete(f"/api/ticket-taxonomy/{node['id']}", headers=supervisor).status_code == 204

    def test_node_with_children_is_not_deleted(self, client: TestClient, auth_headers: Headers) -> None:
        supervisor = auth_headers(Role.SUPERVISOR)
        parent = new_node(client, supervisor)
        new_node(client, supervisor, parent_id=parent["id"])
        assert client.delete(f"/api/ticket-taxonomy/{parent['id']}", headers=supervisor).status_code == 409

    def test_node_tickets_were_filed_under_is_refused_with_a_hint_to_deactivate(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        supervisor = auth_headers(Role.SUPERVISOR)
        parent = new_node(client, supervisor)
        leaf = new_node(client, supervisor, parent_id=parent["id"])
        make_ticket(session, category="测试分类", subcategory="测试子类")
        response = client.delete(f"/api/ticket-taxonomy/{leaf['id']}", headers=supervisor)
        assert (response.status_code, "停用" in response.json()["detail"]) == (409, True)
