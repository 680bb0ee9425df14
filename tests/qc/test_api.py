from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.qc.models import QcAlert, QcFinding
from tests.builders import make_chat, make_shop

Headers = Callable[..., dict[str, str]]


class TestOverruleApi:
    def test_an_agent_may_not_overrule(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 40, "您好")])
        finding = session.scalar(select(QcFinding).where(QcFinding.session_id == chat.id))
        assert finding is not None
        response = client.post(
            f"/api/qc/findings/{finding.id}/overrule",
            json={"passed": not finding.final_passed, "reason": "复核"},
            headers=auth_headers(Role.AGENT),
        )
        assert response.status_code == 403

    def test_a_supervisor_overrule_changes_the_finding(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 40, "您好")])
        query = select(QcFinding).where(QcFinding.session_id == chat.id, QcFinding.code == "first_response")
        finding = session.scalar(query)
        assert finding is not None
        body = client.post(
            f"/api/qc/findings/{finding.id}/overrule",
            json={"passed": True, "reason": "顾客发图片,系统未计入"},
            headers=auth_headers(Role.SUPERVISOR),
        ).json()
        assert (body["final_passed"], body["overruled"]) == (True, True)


class TestAlertApi:
    def test_the_inbox_lists_active_alerts(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        make_chat(session, [("customer", 0, "我要去12315投诉")])
        body = client.get("/api/qc/alerts", params={"status": "active"}, headers=auth_headers()).json()
        assert body["items"][0]["level"] == "high"

    def test_closing_without_a_note_is_a_422(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        chat = make_chat(session, [("customer", 0, "给你差评")])
        alert = session.scalar(select(QcAlert).where(QcAlert.session_id == chat.id))
        assert alert is not None
        response = client.post(f"/api/qc/alerts/{alert.id}/close", json={}, headers=auth_headers())
        assert response.status_code == 422


class TestCheckpointSettings:
    def test_a_supervisor_can_change_a_shops_threshold(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        body = client.put(
            f"/api/qc/shops/{shop.id}/checkpoints/first_response",
            json={"params": {"seconds": 30}, "weight": 20},
            headers=auth_headers(Role.SUPERVISOR),
        ).json()
        row = next(c for c in body if c["code"] == "first_response")
        assert (row["params"], row["weight"]) == ({"seconds": 30}, 20)

    def test_the_new_threshold_applies_to_new_sessions(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        client.put(
            f"/api/qc/shops/{shop.id}/checkpoints/first_response",
            json={"params": {"seconds": 30}},
            headers=auth_headers(Role.SUPERVISOR),
        )
        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 25, "您好")], shop=shop)
        query = select(QcFinding).where(QcFinding.session_id == chat.id, QcFinding.code == "first_response")
        finding = session.scalar(query)
        assert finding is not None
        assert finding.auto_passed is True

    def test_an_unknown_parameter_is_a_422_naming_it(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        response = client.put(
            f"/api/qc/shops/{shop.id}/checkpoints/first_response",
            json={"params": {"minutes": 1}},
            headers=auth_headers(Role.SUPERVISOR),
        )
        assert response.status_code == 422
        assert "params.minutes" in response.json()["detail"]


class TestSummary:
    def test_reports_score_and_pass_rate_per_shop(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        make_chat(session, [("customer", 0, "在吗"), ("agent", 5, "您好，还有其他问题随时联系")], shop=shop)
        body = client.get("/api/qc/summary", params={"by": "shop"}, headers=auth_headers()).json()
        row = next(r for r in body["rows"] if r["key"] == shop.id)
        assert (row["sessions"], row["avg_score"], row["pass_rate"]) == (1, 100.0, 1.0)

    def test_groups_by_agent_shift_without_failing(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.get("/api/qc/summary", params={"by": "group"}, headers=auth_headers())
        assert response.status_code == 200

    def test_splits_the_failed_checkpoints_by_the_dimension(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        make_chat(session, [("customer", 0, "在吗"), ("agent", 40, "您好")], shop=shop)
        body = client.get("/api/qc/summary", params={"by": "shop"}, headers=auth_headers()).json()
        failed = [(r["code"], r["failed"]) for r in body["top_failed_checkpoints"] if r["key"] == shop.id]
        assert failed == [("closing", 1), ("first_response", 1)]


class TestReinspection:
    def test_changing_a_checkpoint_queues_a_reinspection_of_the_shop(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        from aftersales.jobs.models import Job

        shop = make_shop(session)
        client.put(
            f"/api/qc/shops/{shop.id}/checkpoints/greeting",
            json={"enabled": False},
            headers=auth_headers(Role.SUPERVISOR),
        )
        job = session.scalar(select(Job).where(Job.name == "qc.reinspect_shop"))
        assert job is not None
        assert job.payload == {"shop_id": shop.id}

    def test_the_reinspection_job_applies_the_new_weights(self, session: Session) -> None:
        from aftersales.qc import jobs
        from aftersales.qc.models import QcSessionResult
        from aftersales.qc.settings import configure_checkpoint

        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 40, "您好，还有其他问题随时联系")])
        configure_checkpoint(session, shop_id=chat.shop_id, code="first_response", enabled=False)
        jobs.reinspect_shop(session, shop_id=chat.shop_id)
        result = session.get(QcSessionResult, chat.id)
        assert result is not None
        assert "first_response" not in result.failed_checkpoints

    def test_a_disabled_checkpoints_finding_goes_and_a_held_finding_shows_its_new_weight(
        self, session: Session
    ) -> None:
        from aftersales.qc import jobs
        from aftersales.qc.models import QcFinding
        from aftersales.qc.settings import configure_checkpoint

        chat = make_chat(session, [("customer", 0, "在吗"), ("agent", 40, "您好，还有其他问题随时联系")])
        of_chat = select(QcFinding).where(QcFinding.session_id == chat.id)
        held = session.scalar(of_chat.where(QcFinding.code == "closing"))
        assert held is not None
        assert held.weight == 5
        configure_checkpoint(session, shop_id=chat.shop_id, code="first_response", enabled=False)
        configure_checkpoint(session, shop_id=chat.shop_id, code="closing", weight=7)
        jobs.reinspect_shop(session, shop_id=chat.shop_id)
        assert "first_response" not in {finding.code for finding in session.scalars(of_chat)}
        assert held.weight == 7


class TestRealTime:
    def test_a_threat_posted_through_the_api_is_inspected_and_routed_before_the_response(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        from aftersales.messaging.models import OutboxMessage
        from tests.builders import make_bot

        make_bot(session, group_code="aftersales")
        shop = make_shop(session)
        message = {
            "shop_id": shop.id,
            "platform": shop.platform.value,
            "session_key": "live-1",
            "sender": "customer",
            "text": "再不退款我就去12315投诉你们",
            "sent_at": "2026-11-13T09:00:00+08:00",
        }
        client.post("/api/chats/messages", json=message, headers=auth_headers())
        alert = session.scalar(select(QcAlert).where(QcAlert.shop_id == shop.id))
        assert alert is not None
        assert alert.level == "high"
        query = select(OutboxMessage).where(
            OutboxMessage.subject_type == "qc_alert", OutboxMessage.subject_id == alert.id
        )
        assert session.scalar(query) is not None

    def test_the_inspection_lists_each_messages_emotion_and_risks(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        chat = make_chat(session, [("customer", 0, "快递太慢了，给你差评"), ("agent", 5, "您好")])
        body = client.get(f"/api/qc/sessions/{chat.id}", headers=auth_headers()).json()
        first = body["messages"][0]
        assert (first["polarity"], first["label"], first["risks"][0]["kind"]) == (
            "negative",
            "物流",
            "bad_review",
        )
