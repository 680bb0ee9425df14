from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import utcnow
from aftersales.logistics import intercepts
from aftersales.logistics.defaults import ensure_defaults
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.messaging.service import queue_message
from tests.builders import make_order, make_parcel

Headers = Callable[..., dict[str, str]]


def stale_parcel(session: Session) -> None:
    make_parcel(session, shipped_at=utcnow() - timedelta(hours=40))
    session.flush()


class TestAnomalies:
    def test_a_supervisor_scan_lists_the_finding_for_agents(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ensure_defaults(session)
        stale_parcel(session)
        scan = client.post("/api/logistics/scan", headers=auth_headers(Role.SUPERVISOR))
        listing = client.get("/api/logistics/anomalies", headers=auth_headers(Role.AGENT))
        assert scan.json()["counts"]["no_first_scan"] == 1
        assert [a["kind_label"] for a in listing.json()["items"]] == ["发货后未揽收"]

    def test_an_agent_may_not_run_the_scan(self, client: TestClient, auth_headers: Headers) -> None:
        assert client.post("/api/logistics/scan", headers=auth_headers(Role.AGENT)).status_code == 403

    def test_an_unknown_kind_filter_is_a_422_naming_the_field(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        response = client.get("/api/logistics/anomalies?kind=lost", headers=auth_headers())
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "query.kind"


class TestRules:
    def test_a_supervisor_sets_a_courier_threshold(self, client: TestClient, auth_headers: Headers) -> None:
        body = {"kind": "no_update", "courier": "ems", "threshold_hours": 72}
        response = client.put("/api/logistics/rules", json=body, headers=auth_headers(Role.SUPERVISOR))
        assert (response.status_code, response.json()["threshold_hours"]) == (200, 72)

    def test_a_rule_notifying_buyers_needs_an_existing_template(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        body = {"kind": "late", "threshold_hours": 0, "notify_customer": True, "template_code": "nope"}
        response = client.put("/api/logistics/rules", json=body, headers=auth_headers(Role.SUPERVISOR))
        assert response.status_code == 404

    def test_an_unknown_courier_is_refused_with_the_field(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        body = {"kind": "late", "courier": "dhl", "threshold_hours": 0}
        response = client.put("/api/logistics/rules", json=body, headers=auth_headers(Role.SUPERVISOR))
        assert (response.status_code, response.json()["detail"]) == (422, "courier: 未知快递公司: dhl")


class TestTemplates:
    def test_saving_a_template_with_an_unknown_variable_is_a_422(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        response = client.put(
            "/api/logistics/message-templates/eta",
            json={"name": "延误", "body": "预计 {{ arrival }} 到"},
            headers=auth_headers(Role.SUPERVISOR),
        )
        assert response.status_code == 422
        assert "arrival" in response.json()["detail"]

    def test_a_valid_template_is_stored_under_its_code(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        body = {"name": "延误", "body": "预计 {{ eta_date }} 到"}
        client.put("/api/logistics/message-templates/eta", json=body, headers=auth_headers(Role.SUPERVISOR))
        listing = client.get("/api/logistics/message-templates", headers=auth_headers())
        assert [t["code"] for t in listing.json()] == ["eta"]


class TestRegions:
    def test_a_supervisor_adds_a_region_in_shanghai_time(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        body = {"province": "西藏自治区", "reason": "大雪", "valid_from": "2026-11-10T08:00:00"}
        response = client.post(
            "/api/logistics/restricted-regions", json=body, headers=auth_headers(Role.SUPERVISOR)
        )
        assert (response.status_code, response.json()["valid_from"]) == (201, "2026-11-10T00:00:00Z")

    def test_an_agent_may_only_read_regions(self, client: TestClient, auth_headers: Headers) -> None:
        body = {"province": "西藏自治区", "reason": "大雪"}
        response = client.post("/api/logistics/restricted-regions", json=body, headers=auth_headers())
        assert response.status_code == 403


class TestIntercepts:
    def test_lists_intercepts_with_their_status_label(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        parcel = make_parcel(session, shipped_at=utcnow() - timedelta(hours=5), order=make_order(session))
        intercepts.request_intercepts(
            session, order_id=parcel.order_id, refund_request_id=9, refund_requested_at=utcnow()
        )
        session.flush()
        response = client.get("/api/logistics/intercepts", headers=auth_headers())
        stats = client.get("/api/logistics/intercepts/stats", headers=auth_headers())
        assert [i["status_label"] for i in response.json()["items"]] == ["已申请"]
        assert (stats.json()["requests"], stats.json()["pending"]) == (1, 1)


class TestDeadLetters:
    def test_phone_numbers_are_masked_for_supervisors(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        queue_message(
            session, channel="sms", destination="13812345678", payload={"text": "x"}, idempotency_key="dl1"
        )
        session.flush()
        session.execute(update(OutboxMessage).values(status=OutboxStatus.DEAD))
        session.flush()
        response = client.get("/api/logistics/dead-letters", headers=auth_headers(Role.SUPERVISOR))
        assert [m["destination"] for m in response.json()] == ["138****5678"]


class TestConsole:
    def test_every_page_renders_for_a_supervisor(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ensure_defaults(session)
        stale_parcel(session)
        headers = auth_headers(Role.SUPERVISOR)
        client.post("/console/logistics/scan", headers=headers)
        pages = [
            "/console/logistics",
            "/console/logistics/regions",
            "/console/logistics/intercepts",
            "/console/logistics-messages",
        ]
        responses = {page: client.get(page, headers=headers) for page in pages}
        assert {page: r.status_code for page, r in responses.items()} == dict.fromkeys(pages, 200)
        assert "发货后未揽收" in responses["/console/logistics"].text

    def test_a_template_with_an_unknown_variable_shows_the_error_on_the_page(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        response = client.post(
            "/console/logistics-messages/templates",
            data={"code": "bad", "name": "坏模板", "body": "{{ who }}", "channel": "sms"},
            headers=auth_headers(Role.SUPERVISOR),
        )
        assert response.status_code == 422
        assert "未知变量: who" in response.text
