import html
import io
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.catalog.models import Platform
from tests.analytics.conftest import at
from tests.builders import make_chat_row, make_order, make_shipment, make_shop, make_user

Headers = Callable[..., dict[str, str]]
RANGE = "start=2026-11-11&end=2026-11-11"


def _first_link_of_row(page: str, subject: str) -> str:
    """The first linked cell (接待量) of the scorecard row whose first cell is ``subject``."""
    row = re.search(rf"<tr><td>{re.escape(subject)}</td>(.*?)</tr>", page, re.S)
    assert row is not None, subject
    link = re.search(r'<a href="([^"]+)"', row.group(1))
    assert link is not None, row.group(0)
    return html.unescape(link.group(1))


class TestConsolePages:
    @pytest.mark.parametrize("page", ["funnel", "trends", "forecast", "associations", "scorecards", "report"])
    def test_supervisor_sees_each_dashboard(
        self, client: TestClient, auth_headers: Headers, page: str
    ) -> None:
        response = client.get(f"/console/analytics/{page}?{RANGE}", headers=auth_headers(Role.SUPERVISOR))
        assert response.status_code == 200
        assert "开始" in response.text

    def test_trend_chart_is_inline_svg(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        make_order(session, ordered_at=at(9))
        response = client.get(f"/console/analytics/trends?{RANGE}", headers=auth_headers(Role.AGENT))
        assert "<svg" in response.text

    def test_hourly_trends_list_every_hour(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.get(f"/console/analytics/trends?{RANGE}&granularity=hour", headers=auth_headers())
        assert "每小时趋势" in response.text
        assert "2026-11-11 23" in response.text

    def test_unknown_granularity_is_422(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.get(f"/api/analytics/trends?{RANGE}&granularity=week", headers=auth_headers())
        assert response.status_code == 422
        assert response.json()["detail"].startswith("granularity:")

    @pytest.mark.parametrize("page", ["funnel", "scorecards"])
    def test_funnel_and_scorecards_draw_charts(
        self, client: TestClient, auth_headers: Headers, session: Session, page: str
    ) -> None:
        make_chat_row(session, started_at=at(9), agent_id=make_user(session).id, first_response_seconds=12)
        response = client.get(f"/console/analytics/{page}?{RANGE}", headers=auth_headers(Role.SUPERVISOR))
        assert "<svg" in response.text

    def test_drill_down_to_an_agents_chats_links_each_chat(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        agent = make_user(session)
        chat = make_chat_row(session, started_at=at(9), agent_id=agent.id, session_key="CHAT-XY-1")
        response = client.get(
            f"/console/analytics/drill/chats?{RANGE}&agent_id={agent.id}", headers=auth_headers()
        )
        assert "CHAT-XY-1" in response.text
        assert f"/console/qc/sessions/{chat.id}" in response.text

    def test_shop_scorecard_reception_link_lists_only_that_shops_chats(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        flagship, outlet = make_shop(session, name="旗舰店"), make_shop(session, name="奥莱店")
        make_chat_row(session, shop=flagship, started_at=at(9), session_key="CHAT-FLAG-1")
        make_chat_row(session, shop=outlet, started_at=at(10), session_key="CHAT-OUT-1")
        headers = auth_headers(Role.SUPERVISOR)
        page = client.get(f"/console/analytics/scorecards?{RANGE}&level=shop", headers=headers).text
        drill = client.get(_first_link_of_row(page, "旗舰店"), headers=headers).text
        assert ("CHAT-FLAG-1" in drill, "CHAT-OUT-1" in drill) == (True, False)

    def test_platform_scorecard_reception_link_lists_only_the_chats_of_its_shops(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        make_chat_row(
            session, shop=make_shop(session, platform=Platform.JD), started_at=at(9), session_key="CHAT-JD-1"
        )
        make_chat_row(session, shop=make_shop(session), started_at=at(10), session_key="CHAT-TM-1")
        headers = auth_headers(Role.SUPERVISOR)
        page = client.get(f"/console/analytics/scorecards?{RANGE}&level=platform", headers=headers).text
        drill = client.get(_first_link_of_row(page, "jd"), headers=headers).text
        assert ("CHAT-JD-1" in drill, "CHAT-TM-1" in drill) == (True, False)

    def test_agent_cannot_open_the_report(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.get(f"/console/analytics/report?{RANGE}", headers=auth_headers(Role.AGENT))
        assert response.status_code == 403

    def test_end_before_start_names_the_field(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.get("/api/analytics/trends?start=2026-11-11&end=2026-11-01", headers=auth_headers())
        assert response.status_code == 422
        assert response.json()["detail"].startswith("end:")

    def test_unknown_dimension_is_422(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.get(f"/api/analytics/funnel?{RANGE}&by=colour", headers=auth_headers())
        assert response.status_code == 422

    def test_drill_down_lists_the_rows_behind_the_number(
        self, client: TestClient, auth_headers: Headers, session: Session
    ) -> None:
        order = make_order(session, ordered_at=at(1))
        make_shipment(session, order=order, shipped_at=at(9), status="exception", tracking_no="YT123456")
        response = client.get(
            "/console/analytics/drill/parcel_problems?day=2026-11-11", headers=auth_headers()
        )
        assert "YT123456" in response.text
        assert f"/console/orders/{order.id}" in response.text

    def test_pdf_download_is_a_pdf(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.get(f"/console/analytics/report.pdf?{RANGE}", headers=auth_headers(Role.SUPERVISOR))
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")

    def test_excel_download_is_a_workbook(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.get(
            f"/console/analytics/report.xlsx?{RANGE}", headers=auth_headers(Role.SUPERVISOR)
        )
        assert response.content.startswith(b"PK")


class TestApi:
    def test_funnel_json_lists_missing_inputs(self, client: TestClient, auth_headers: Headers) -> None:
        body = client.get(f"/api/analytics/funnel?{RANGE}", headers=auth_headers()).json()
        assert body["key"] == "funnel"
        assert isinstance(body["missing"], list)

    def test_supervisor_sets_a_target(self, client: TestClient, auth_headers: Headers) -> None:
        body = {"metric": "satisfaction_rate", "level": "agent", "value": 0.92}
        response = client.put("/api/analytics/targets", json=body, headers=auth_headers(Role.SUPERVISOR))
        assert response.json()["value"] == 0.92

    def test_agent_cannot_set_targets(self, client: TestClient, auth_headers: Headers) -> None:
        body = {"metric": "satisfaction_rate", "level": "agent", "value": 0.92}
        assert client.put("/api/analytics/targets", json=body, headers=auth_headers()).status_code == 403

    def test_alert_check_returns_new_alerts(self, client: TestClient, auth_headers: Headers) -> None:
        body = {"start": "2026-11-11", "end": "2026-11-11"}
        response = client.post(
            "/api/analytics/alerts/check", json=body, headers=auth_headers(Role.SUPERVISOR)
        )
        assert response.json() == []


class TestReportActions:
    def test_lead_edits_an_action_and_the_page_and_pdf_carry_it(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        headers = auth_headers(Role.SUPERVISOR)
        saved = client.post(
            f"/console/analytics/report/actions?{RANGE}",
            data={"section": "complaints", "text": "物流部本周内复盘派送异常"},
            headers=headers,
            follow_redirects=False,
        )
        assert saved.status_code == 303
        page = client.get(f"/console/analytics/report?{RANGE}", headers=headers).text
        assert "物流部本周内复盘派送异常" in page
        assert "已由主管编辑" in page
        pdf = client.get(f"/console/analytics/report.pdf?{RANGE}", headers=headers).content
        text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        assert "物流部本周内复盘派送异常" in text

    def test_agent_cannot_edit_an_action(self, client: TestClient, auth_headers: Headers) -> None:
        response = client.post(
            f"/console/analytics/report/actions?{RANGE}",
            data={"section": "complaints", "text": "x"},
            headers=auth_headers(Role.AGENT),
        )
        assert response.status_code == 403
