from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.catalog.models import Shop
from aftersales.returns import payouts
from tests.builders import make_order, make_return_request, make_shop, make_sku, make_user

Headers = Callable[..., dict[str, str]]


class TestRequestsApi:
    def test_create_request_answers_201_with_the_ticket(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
        body = {
            "shop_code": shop.code,
            "order_no": order.source_id,
            "kind": "return",
            "reason_code": "not_fit",
        }
        response = client.post("/api/returns/requests", json=body, headers=auth_headers(Role.AGENT))
        assert response.status_code == 201
        assert response.json()["ticket_id"] is not None

    def test_unknown_reason_is_422_naming_the_field(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        shop = session.get(Shop, order.shop_id)
        assert shop is not None
        body = {
            "shop_code": shop.code,
            "order_no": order.source_id,
            "kind": "return",
            "reason_code": "whatever",
        }
        response = client.post("/api/returns/requests", json=body, headers=auth_headers(Role.AGENT))
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "reason_code"

    def test_retention_proposals_are_listed_in_order(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        request = make_return_request(session, reason_code="usage_trouble")
        response = client.get(
            f"/api/returns/requests/{request.id}/retention", headers=auth_headers(Role.AGENT)
        )
        assert [o["kind"] for o in response.json()] == [
            "exchange_free_shipping",
            "partial_compensation",
            "remote_guidance",
        ]


class TestReportsApi:
    def test_ledger_report_totals_per_agent_and_reason(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        agent = make_user(session)
        order = make_order(session, paid_fen=10_000)
        payouts.pay_compensation(session, order_id=order.id, amount_fen=1000, reason_code="flaw", actor=agent)
        payouts.pay_compensation(session, order_id=order.id, amount_fen=2000, reason_code="flaw", actor=agent)
        rows = client.get("/api/returns/reports/ledger", headers=auth_headers(Role.AGENT)).json()["rows"]
        mine = [r for r in rows if r["agent_id"] == agent.id]
        assert [(r["reason_code"], r["payouts"], r["amount_fen"]) for r in mine] == [("flaw", 2, 3000)]

    def test_retention_report_by_an_unknown_dimension_is_422(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        response = client.get("/api/returns/reports/retention?by=weather", headers=auth_headers(Role.AGENT))
        assert response.status_code == 422


class TestPolicyAndReplacementApi:
    def test_admin_changes_a_shops_authority(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        headers = auth_headers(Role.ADMIN)
        policy = client.get(f"/api/returns/policies/{shop.id}", headers=headers).json()
        policy["agent_cap_fen"] = 20_000
        assert client.put(f"/api/returns/policies/{shop.id}", json=policy, headers=headers).status_code == 200
        order = make_order(session, shop=shop, paid_fen=100_000)
        body = {"order_id": order.id, "amount_fen": 20_001, "reason_code": "flaw"}
        response = client.post("/api/returns/compensations", json=body, headers=auth_headers(Role.AGENT))
        assert response.status_code == 403

    def test_replacement_endpoint_names_the_better_model(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        old = make_sku(session, shop=shop, category="耳机", specs={"续航": "20h"}, is_discontinued=True)
        new = make_sku(session, shop=shop, category="耳机", specs={"续航": "30h"})
        response = client.get(f"/api/returns/skus/{old.id}/replacement", headers=auth_headers(Role.AGENT))
        assert response.json()["replacement"]["id"] == new.id
