import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from tests.builders import make_event, make_order, make_shipment, make_shop


class TestMasking:
    def test_agent_sees_the_receiver_phone_masked(
        self, client: TestClient, session: Session, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        order = make_order(session, receiver_phone="13812345678")
        body = client.get(f"/api/orders/{order.id}", headers=auth_headers(Role.AGENT)).json()
        assert (body["receiver_phone"], body["pii_masked"]) == ("138****5678", True)

    def test_admins_see_masked_numbers_too(self, client: TestClient, session: Session, auth_headers) -> None:  # type: ignore[no-untyped-def]
        order = make_order(session, receiver_phone="13812345678")
        body = client.get(f"/api/orders/{order.id}", headers=auth_headers(Role.ADMIN)).json()
        assert body["receiver_phone"] == "138****5678"

    @pytest.mark.usefixtures("unmasked_admins")
    def test_a_role_the_shop_unmasks_sees_the_whole_number(
        self, client: TestClient, session: Session, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        order = make_order(session, receiver_phone="13812345678")
        body = client.get(f"/api/orders/{order.id}", headers=auth_headers(Role.ADMIN)).json()
        assert body["receiver_phone"] == "13812345678"

    def test_search_results_are_masked_for_agents(
        self, client: TestClient, session: Session, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        make_order(session, receiver_phone="13812345678", address="文三路 100号 3幢")
        item = client.get("/api/orders", headers=auth_headers(Role.AGENT)).json()["items"][0]
        assert (item["receiver_phone"], item["address"]) == ("138****5678", "文三路****")


class TestSearch:
    def test_finds_an_order_by_tracking_number(
        self, client: TestClient, session: Session, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        make_order(session)
        order = make_order(session)
        make_shipment(session, order=order, tracking_no="YT8899001122334")
        body = client.get("/api/orders", params={"q": "YT8899001122334"}, headers=auth_headers()).json()
        assert [o["id"] for o in body["items"]] == [order.id]

    def test_unknown_order_is_404(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        response = client.get("/api/orders/999999", headers=auth_headers())
        assert (response.status_code, response.json()["error"]) == (404, "OrderNotFoundError")

    def test_detail_lists_parcels_with_their_tracking_timeline(
        self, client: TestClient, session: Session, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        shipment = make_shipment(session)
        make_event(session, shipment=shipment, raw_text="【杭州市】快件已揽收")
        body = client.get(f"/api/orders/{shipment.order_id}", headers=auth_headers()).json()
        assert [e["raw_text"] for e in body["shipments"][0]["events"]] == ["【杭州市】快件已揽收"]


class TestIngestEndpoints:
    def _order(self, shop_code: str, **overrides: object) -> dict[str, object]:
        return {
            "shop_code": shop_code,
            "order_no": "A1",
            "buyer_nick": "buyer",
            "status": "paid",
            "total_fen": 100,
            "paid_fen": 100,
            "ordered_at": "2026-11-11T00:00:00",
            **overrides,
        }

    def test_batch_of_orders_is_ingested(self, client: TestClient, session: Session, auth_headers) -> None:  # type: ignore[no-untyped-def]
        shop = make_shop(session)
        body = [self._order(shop.code), self._order(shop.code, order_no="A2")]
        result = client.post("/api/orders/batch", json=body, headers=auth_headers()).json()
        assert (result["received"], result["created"]) == (2, 2)

    def test_negative_amount_is_422_naming_the_field(
        self, client: TestClient, session: Session, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        shop = make_shop(session)
        response = client.post(
            "/api/orders", json=self._order(shop.code, paid_fen=-1), headers=auth_headers()
        )
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "paid_fen"

    def test_unknown_courier_is_422_with_the_reason(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        body = {
            "shop_code": "x",
            "order_no": "A1",
            "courier": "火星快递",
            "tracking_no": "12345678",
            "shipped_at": "2026-11-11T10:00:00",
        }
        response = client.post("/api/shipments", json=body, headers=auth_headers())
        assert response.status_code == 422
        assert "未知快递公司" in response.json()["detail"]
