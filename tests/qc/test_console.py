from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import format_local, utcnow
from aftersales.qc.models import QcAlert, QcFinding, QcOverrule
from tests.builders import make_chat, make_user
from tests.builders.auth import PASSWORD

ANGRY = [("customer", 0, "东西坏了，再不处理我就打12315"), ("agent", 40, "爱买不买")]


def log_in(client: TestClient, session: Session, role: Role = Role.AGENT) -> None:
    user = make_user(session, role=role)
    data = {"username": user.username, "password": PASSWORD}
    assert client.post("/console/login", data=data, follow_redirects=False).status_code == 303


class TestSessionPages:
    def test_the_list_filters_by_risk(self, client: TestClient, session: Session) -> None:
        risky = make_chat(session, ANGRY)
        calm = make_chat(session, [("customer", 0, "在吗"), ("agent", 3, "您好")])
        log_in(client, session)
        page = client.get("/console/qc/sessions", params={"risk": "high"}).text
        assert risky.session_key in page
        assert calm.session_key not in page

    def test_the_session_view_highlights_the_risk_phrase_and_the_rude_words(
        self, client: TestClient, session: Session
    ) -> None:
        chat = make_chat(session, ANGRY)
        log_in(client, session)
        page = client.get(f"/console/qc/sessions/{chat.id}").text
        assert '<mark title="向12315/消协/市场监管投诉(高级)">12315</mark>' in page
        assert '<mark title="无禁用/不文明用语">爱买不买</mark>' in page

    def test_agents_do_not_see_the_overrule_form(self, client: TestClient, session: Session) -> None:
        chat = make_chat(session, ANGRY)
        log_in(client, session, Role.AGENT)
        assert "改判理由" not in client.get(f"/console/qc/sessions/{chat.id}").text

    def test_a_supervisor_overrules_from_the_page(self, client: TestClient, session: Session) -> None:
        chat = make_chat(session, ANGRY)
        query = select(QcFinding).where(QcFinding.session_id == chat.id, QcFinding.code == "banned_words")
        finding = session.scalar(query)
        assert finding is not None
        log_in(client, session, Role.SUPERVISOR)
        response = client.post(
            f"/console/qc/findings/{finding.id}/overrule",
            data={"passed": "yes", "reason": "方言误判"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert session.scalar(select(QcOverrule).where(QcOverrule.finding_id == finding.id)) is not None


class TestAlertPages:
    def test_the_inbox_shows_the_evidence(self, client: TestClient, session: Session) -> None:
        make_chat(session, ANGRY)
        log_in(client, session)
        assert "<mark>12315</mark>" in client.get("/console/qc/alerts").text

    def test_closing_from_the_inbox_records_the_note(self, client: TestClient, session: Session) -> None:
        chat = make_chat(session, ANGRY)
        alert = session.scalar(select(QcAlert).where(QcAlert.session_id == chat.id))
        assert alert is not None
        log_in(client, session)
        client.post(
            f"/console/qc/alerts/{alert.id}/close", data={"note": "已电话安抚"}, follow_redirects=False
        )
        session.refresh(alert)
        assert (alert.status.value, alert.note) == ("closed", "已电话安抚")


class TestDashboard:
    def test_supervisors_see_scores_per_shop(self, client: TestClient, session: Session) -> None:
        make_chat(session, ANGRY)
        log_in(client, session, Role.SUPERVISOR)
        page = client.get("/console/qc/dashboard").text
        assert "质检得分与合格率" in page
        assert "无禁用/不文明用语" in page

    def test_agents_may_not_open_the_dashboard(self, client: TestClient, session: Session) -> None:
        log_in(client, session, Role.AGENT)
        assert client.get("/console/qc/dashboard").status_code == 403

    def test_every_dimension_renders(self, client: TestClient, session: Session) -> None:
        make_chat(session, ANGRY)
        log_in(client, session, Role.SUPERVISOR)
        for by in ("platform", "shop", "group", "agent"):
            assert client.get("/console/qc/dashboard", params={"by": by}).status_code == 200

    def test_a_date_range_leaves_out_older_sessions(self, client: TestClient, session: Session) -> None:
        make_chat(session, ANGRY, start=utcnow() - timedelta(days=10))
        log_in(client, session, Role.SUPERVISOR)
        today = format_local(utcnow(), "%Y-%m-%d")
        page = client.get("/console/qc/dashboard", params={"since": today, "until": today}).text
        assert "暂无质检数据" in page


class TestSettingsPage:
    def test_a_supervisor_changes_a_threshold_from_the_page(
        self, client: TestClient, session: Session
    ) -> None:
        from aftersales.qc.settings import configured_checkpoints
        from tests.builders import make_shop

        shop = make_shop(session)
        log_in(client, session, Role.SUPERVISOR)
        assert "首响及时" in client.get("/console/qc/settings", params={"shop_id": shop.id}).text
        response = client.post(
            f"/console/qc/settings/{shop.id}/checkpoints/first_response",
            data={"enabled": "on", "weight": "20", "seconds": "30"},
            follow_redirects=False,
        )
        assert response.status_code == 303
        first = next(
            c for c in configured_checkpoints(session, shop.id) if c.checkpoint.code == "first_response"
        )
        assert (first.weight, first.params) == (20, {"seconds": 30})

    def test_agents_may_not_open_the_settings(self, client: TestClient, session: Session) -> None:
        log_in(client, session, Role.AGENT)
        assert client.get("/console/qc/settings").status_code == 403


class TestUntimedSession:
    def test_the_page_says_response_times_cannot_be_computed(
        self, client: TestClient, session: Session
    ) -> None:
        from aftersales.conversations.schemas import MessageIn
        from aftersales.conversations.service import ingest_messages
        from tests.builders import make_shop

        shop = make_shop(session)
        lines = [("customer", "在吗"), ("agent", "您好，在的")]
        ingest_messages(
            session,
            [
                MessageIn(
                    shop_id=shop.id,
                    platform=shop.platform,
                    session_key="no-times",
                    sender=s,
                    text=t,
                    source_id=str(n),
                )
                for n, (s, t) in enumerate(lines)
            ],
        )
        finding = session.scalar(select(QcFinding).where(QcFinding.code == "first_response"))
        assert finding is not None
        log_in(client, session)
        page = client.get(f"/console/qc/sessions/{finding.session_id}").text
        assert ("无法计算(没有发送时间)" in page, '<span class="badge">无法计算</span>' in page) == (
            True,
            True,
        )
