"""Tickets API end to end: create → assign → reply → resolve, validation, roles, feedback loop."""

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from tests.builders import make_order, make_shop, make_user

Headers = Callable[..., dict[str, str]]


def create(client: TestClient, headers: dict[str, str], **overrides: object) -> dict:  # type: ignore[type-arg]
    body = {
        "type": "return",
        "category": "商品问题",
        "subcategory": "质量问题",
        "detail": "破损",
        "title": "杯子收到时破损",
        "severity": "high",
        **overrides,
    }
    response = client.post("/api/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


class TestTicketFlow:
    def test_create_assign_reply_resolve(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        headers = auth_headers(Role.AGENT)
        order = make_order(session)
        agent = make_user(session)
        ticket = create(client, headers, order_id=order.id)
        tid = ticket["id"]
        assert (
            client.post(f"/api/tickets/{tid}/assign", json={"assignee_id": agent.id}, headers=headers).json()[
                "assignee_id"
            ]
            == agent.id
        )
        reply = client.post(
            f"/api/tickets/{tid}/comments", json={"text": "已为您登记破损补发"}, headers=headers
        )
        resolved = client.post(f"/api/tickets/{tid}/transitions", json={"to": "resolved"}, headers=headers)
        detail = client.get(f"/api/tickets/{tid}", headers=headers).json()
        assert (reply.status_code, resolved.json()["status"]) == (201, "resolved")
        assert [e["kind"] for e in detail["timeline"]] == ["created", "assign", "status", "comment", "status"]
        assert detail["customer_id"] == order.customer_id

    def test_invalid_transition_is_a_409_with_a_chinese_message(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        headers = auth_headers(Role.AGENT)
        tid = create(client, headers, shop_id=make_shop(session).id)["id"]
        response = client.post(f"/api/tickets/{tid}/transitions", json={"to": "closed"}, headers=headers)
        assert response.status_code == 409
        assert response.json() == {
            "error": "InvalidTransitionError",
            "detail": "工单状态不能从「新建」变为「已关闭」",
        }

    def test_a_missing_gift_is_filed_under_its_own_category(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        shop_id = make_shop(session).id
        ticket = create(
            client,
            auth_headers(Role.AGENT),
            shop_id=shop_id,
            type="reshipment",
            subcategory="赠品漏发",
            detail="少发",
        )
        assert (ticket["category"], ticket["subcategory"], ticket["detail"]) == (
            "商品问题",
            "赠品漏发",
            "少发",
        )

    def test_unknown_subcategory_is_a_422_naming_the_field(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        response = client.post(
            "/api/tickets",
            json={
                "shop_id": make_shop(session).id,
                "type": "return",
                "category": "商品问题",
                "subcategory": "不存在",
                "title": "x",
            },
            headers=auth_headers(Role.AGENT),
        )
        assert response.status_code == 422
        assert "subcategory" in response.json()["detail"]

    def test_missing_type_is_a_422(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.post(
            "/api/tickets", json={"category": "其他", "title": "x"}, headers=auth_headers(Role.AGENT)
        )
        assert (response.status_code, response.json()["fields"][0]["field"]) == (422, "type")

    def test_queue_returns_sla_state_per_row_and_filters_mine(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        headers = auth_headers(Role.AGENT)
        shop = make_shop(session)
        create(client, headers, shop_id=shop.id)
        page = client.get("/api/tickets", params={"shop_id": shop.id}, headers=headers).json()
        mine = client.get("/api/tickets", params={"shop_id": shop.id, "mine": True}, headers=headers).json()
        assert (page["total"], page["items"][0]["sla_state"], mine["total"]) == (1, "ok", 0)

    def test_search_finds_a_ticket_by_order_number(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        headers = auth_headers(Role.AGENT)
        order = make_order(session)
        tid = create(client, headers, order_id=order.id)["id"]
        found = client.get("/api/tickets", params={"q": order.source_id}, headers=headers).json()
        assert [t["id"] for t in found["items"]] == [tid]


class TestRoles:
    def test_agent_cannot_change_sla_policies(self, client: TestClient, auth_headers: Headers) -> None:
        body = {"name": "x", "resolution_minutes": 60}
        assert (
            client.post("/api/sla-policies", json=body, headers=auth_headers(Role.AGENT)).status_code == 403
        )

    def test_supervisor_creates_a_shop_policy_that_new_tickets_use(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        shop = make_shop(session)
        body = {
            "name": "大促",
            "shop_id": shop.id,
            "business_start": "00:00",
            "business_end": "24:00",
            "first_response_minutes": 5,
            "resolution_minutes": 120,
        }
        policy = client.post("/api/sla-policies", json=body, headers=auth_headers(Role.SUPERVISOR))
        ticket = create(client, auth_headers(Role.AGENT), shop_id=shop.id, type="consultation")
        assert policy.status_code == 201
        from datetime import datetime

        created = datetime.fromisoformat(ticket["created_at"])
        due = datetime.fromisoformat(ticket["first_response_due_at"])
        assert (due - created).total_seconds() == 300

    def test_bot_secret_is_never_read_back(self, client: TestClient, auth_headers: Headers) -> None:
        body = {
            "channel": "dingtalk",
            "name": "钉钉",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=t",
            "secret": "SECx",
        }
        added = client.post("/api/ticket-groups/aftersales/bots", json=body, headers=auth_headers(Role.ADMIN))
        listed = client.get("/api/ticket-groups/aftersales/bots", headers=auth_headers(Role.SUPERVISOR))
        assert added.status_code == 201
        assert "SECx" not in listed.text
        assert listed.json()[-1]["has_secret"] is True

    def test_supervisor_cannot_add_bots(self, client: TestClient, auth_headers: Headers) -> None:
        body = {
            "channel": "wecom",
            "name": "企微",
            "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
        }
        response = client.post(
            "/api/ticket-groups/aftersales/bots", json=body, headers=auth_headers(Role.SUPERVISOR)
        )
        assert response.status_code == 403

    def test_routing_rule_with_unknown_condition_is_a_422(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        body = {"name": "x", "conditions": {"colour": ["red"]}}
        response = client.post("/api/routing-rules", json=body, headers=auth_headers(Role.SUPERVISOR))
        assert (response.status_code, "colour" in response.text) == (422, True)


def raise_item(
    client: TestClient, headers: dict[str, str], session: Session, **body: str
) -> tuple[int, dict]:  # type: ignore[type-arg]
    """A ticket and a feedback item raised from it through the API."""
    tid = create(client, headers, shop_id=make_shop(session).id)["id"]
    response = client.post(f"/api/tickets/{tid}/feedback", json=body, headers=headers)
    return tid, response.json()


class TestFeedbackLoop:
    def test_department_answer_is_written_back_to_the_ticket(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        headers = auth_headers(Role.AGENT)
        tid, item = raise_item(
            client,
            headers,
            session,
            department="product",
            content="同款杯子本周第 5 起破损",
            sku_code="CUP-01",
        )
        board = client.get("/api/ticket-feedback", params={"department": "product"}, headers=headers).json()
        client.post(
            f"/api/ticket-feedback/{item['id']}/answer",
            json={"answer": "已加厚包装,下批次生效"},
            headers=headers,
        )
        timeline = client.get(f"/api/tickets/{tid}", headers=headers).json()["timeline"]
        assert [b["id"] for b in board] == [item["id"]]
        assert "已加厚包装" in timeline[-1]["message"]

    def test_feedback_goes_through_acknowledged_answered_and_closed(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        headers = auth_headers(Role.AGENT)
        tid, item = raise_item(client, headers, session, department="warehouse", content="连续错发")
        base = f"/api/ticket-feedback/{item['id']}"
        statuses = [
            client.post(f"{base}/acknowledge", headers=headers).json()["status"],
            client.post(f"{base}/answer", json={"answer": "已调整库位"}, headers=headers).json()["status"],
            client.post(f"{base}/close", headers=headers).json()["status"],
        ]
        timeline = client.get(f"/api/tickets/{tid}", headers=headers).json()["timeline"]
        assert statuses == ["acknowledged", "answered", "closed"]
        assert [e["message"][:6] for e in timeline if e["kind"] == "feedback"][1:] == [
            "部门已受理(",
            "部门答复(反",
            "反馈已关闭(",
        ]

    def test_closing_a_closed_feedback_is_a_409(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        headers = auth_headers(Role.AGENT)
        _, item = raise_item(client, headers, session, department="product", content="x")
        client.post(f"/api/ticket-feedback/{item['id']}/close", headers=headers)
        response = client.post(f"/api/ticket-feedback/{item['id']}/close", headers=headers)
        assert (response.status_code, response.json()["detail"]) == (409, "该反馈已关闭")

    def test_unknown_department_is_a_422(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        headers = auth_headers(Role.AGENT)
        tid = create(client, headers, shop_id=make_shop(session).id)["id"]
        response = client.post(
            f"/api/tickets/{tid}/feedback", json={"department": "hr", "content": "x"}, headers=headers
        )
        assert response.status_code == 422


class TestHistory:
    def test_history_lists_earlier_tickets_and_masks_phones_for_agents(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        headers = auth_headers(Role.AGENT)
        order = make_order(session)
        first = create(client, headers, order_id=order.id)["id"]
        second = create(client, headers, order_id=order.id)["id"]
        history = client.get(f"/api/tickets/{second}/history", headers=headers).json()
        assert [t["id"] for t in history["tickets"]] == [first]
        assert history["orders"][0]["receiver_phone"] == "138****5678"
