"""推荐商品 and 跟单 through the API and the console, end to end."""

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.conversations.models import ConversionSettings, OrderFollowUp
from aftersales.kit.time import utcnow
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Order, OrderStatus
from tests.builders import make_chat, make_order, make_order_item, make_shop, make_sku, make_user
from tests.builders.auth import PASSWORD
from tests.web.test_home import tile

Headers = Callable[..., dict[str, str]]


def _unpaid(session: Session, minutes: int = 45) -> Order:
    at = utcnow() - timedelta(minutes=minutes)
    order = make_order(session, status=OrderStatus.PENDING_PAYMENT, ordered_at=at, paid_at=None)
    make_order_item(session, order=order, sku_code="HT-1")
    return order


class TestApi:
    def test_an_agent_records_a_recommendation_on_a_chat(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        make_sku(session, shop=shop, code="HT-1")
        chat = make_chat(session, [("customer", 0, "在吗")], shop=shop)
        response = client.post(
            f"/api/chats/sessions/{chat.id}/recommendations",
            json={"sku_code": "HT-1"},
            headers=auth_headers(),
        )
        assert (response.status_code, response.json()["source"]) == (200, "manual")

    def test_an_unknown_sku_is_a_422_naming_the_field(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        chat = make_chat(session, [("customer", 0, "在吗")])
        response = client.post(
            f"/api/chats/sessions/{chat.id}/recommendations",
            json={"sku_code": "NOPE"},
            headers=auth_headers(),
        )
        assert response.status_code == 422
        assert "sku_code" in response.json()["detail"]

    def test_the_due_list_then_a_follow_up_takes_the_order_off_it(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = _unpaid(session)
        headers = auth_headers()
        due = client.get(f"/api/chats/follow-ups/due?shop_id={order.shop_id}", headers=headers).json()
        client.post("/api/chats/follow-ups", json={"order_id": order.id}, headers=headers)
        after = client.get(f"/api/chats/follow-ups/due?shop_id={order.shop_id}", headers=headers).json()
        assert ([i["order_no"] for i in due["items"]], after["total"]) == ([order.source_id], 0)

    def test_posting_the_follow_up_twice_queues_one_message(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = _unpaid(session)
        headers = auth_headers()
        first = client.post("/api/chats/follow-ups", json={"order_id": order.id}, headers=headers).json()
        second = client.post("/api/chats/follow-ups", json={"order_id": order.id}, headers=headers).json()
        sent = session.scalar(select(func.count()).select_from(OutboxMessage))
        assert (first["id"] == second["id"], sent) == (True, 1)

    def test_a_paid_order_is_a_409(self, client: TestClient, session: Session, auth_headers: Headers) -> None:
        order = make_order(session)
        response = client.post("/api/chats/follow-ups", json={"order_id": order.id}, headers=auth_headers())
        assert response.status_code == 409

    def test_windows_need_a_supervisor(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        body = {"recommendation_days": 5, "unpaid_after_minutes": 60, "follow_up_hours": 12}
        refused = client.put(f"/api/chats/conversion-settings/{shop.id}", json=body, headers=auth_headers())
        saved = client.put(
            f"/api/chats/conversion-settings/{shop.id}", json=body, headers=auth_headers(Role.SUPERVISOR)
        )
        assert (refused.status_code, saved.json()) == (403, body)


class TestConsole:
    def test_the_page_lists_the_due_order_with_the_definition(
        self, client: TestClient, session: Session
    ) -> None:
        order = _unpaid(session)
        agent = make_user(session)
        client.post("/console/login", data={"username": agent.username, "password": PASSWORD})
        page = client.get("/console/follow-ups").text
        assert order.source_id in page
        assert "跟单挽回转化率" in page

    def test_sending_the_reminder_moves_the_order_to_followed(
        self, client: TestClient, session: Session
    ) -> None:
        order = _unpaid(session)
        agent = make_user(session)
        client.post("/console/login", data={"username": agent.username, "password": PASSWORD})
        response = client.post(
            f"/console/follow-ups/{order.id}", data={"mode": "message"}, follow_redirects=False
        )
        made = session.scalar(select(OrderFollowUp).where(OrderFollowUp.order_id == order.id))
        assert response.status_code == 303
        assert made is not None
        assert made.agent_id == agent.id

    def test_a_supervisor_saves_a_shops_windows(self, client: TestClient, session: Session) -> None:
        shop = make_shop(session)
        lead = make_user(session, role=Role.SUPERVISOR)
        client.post("/console/login", data={"username": lead.username, "password": PASSWORD})
        form = {"recommendation_days": "7", "unpaid_after_minutes": "15", "follow_up_hours": "48"}
        client.post(f"/console/follow-ups/settings/{shop.id}", data=form)
        row = session.scalar(select(ConversionSettings).where(ConversionSettings.shop_id == shop.id))
        assert row is not None
        assert (row.recommendation_days, row.follow_up_hours) == (7, 48)

    def test_the_chat_card_records_a_recommendation(self, client: TestClient, session: Session) -> None:
        shop = make_shop(session)
        make_sku(session, shop=shop, code="HT-1", name="珊瑚绒毛毯")
        chat = make_chat(session, [("customer", 0, "在吗")], shop=shop)
        agent = make_user(session)
        client.post("/console/login", data={"username": agent.username, "password": PASSWORD})
        client.post(f"/console/conversations/chats/{chat.id}/recommendations", data={"sku_code": "HT-1"})
        card = client.get(f"/console/conversations/panels/chat/{chat.id}").text
        assert "珊瑚绒毛毯(HT-1)" in card
        assert "客服登记" in card


class TestConsoleRefusals:
    def test_a_window_out_of_bounds_is_a_chinese_422(self, client: TestClient, session: Session) -> None:
        shop = make_shop(session)
        lead = make_user(session, role=Role.SUPERVISOR)
        client.post("/console/login", data={"username": lead.username, "password": PASSWORD})
        form = {"recommendation_days": "0", "unpaid_after_minutes": "15", "follow_up_hours": "48"}
        response = client.post(f"/console/follow-ups/settings/{shop.id}", data=form)
        assert response.status_code == 422
        assert "推荐转化窗口(天)「0」" in response.text


class TestHomeTile:
    def test_the_home_tile_counts_the_due_orders(self, client: TestClient, session: Session) -> None:
        _unpaid(session)
        _unpaid(session, minutes=5)  # not yet due
        agent = make_user(session)
        client.post("/console/login", data={"username": agent.username, "password": PASSWORD})
        assert tile(client.get("/console").text, "/console/follow-ups") == "1"
