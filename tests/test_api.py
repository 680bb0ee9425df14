"""The application's error contract for errors Starlette raises itself (no route, wrong method)."""

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.web.test_console import log_in


class TestStarletteErrors:
    def test_unknown_api_route_is_the_projects_error_json(self, client: TestClient) -> None:
        response = client.get("/api/no-such-thing")
        assert (response.status_code, response.json()) == (
            404,
            {"error": "NotFound", "detail": "地址不存在: GET /api/no-such-thing"},
        )

    def test_wrong_method_is_the_projects_error_json_with_the_allowed_methods(
        self, client: TestClient
    ) -> None:
        response = client.put("/healthz")
        assert (response.status_code, response.json()["error"], response.headers["allow"]) == (
            405,
            "MethodNotAllowed",
            "GET",
        )

    def test_unknown_console_page_is_an_html_error_page(self, client: TestClient, session: Session) -> None:
        log_in(client, session)
        response = client.get("/console/no-such-page")
        assert (response.status_code, response.headers["content-type"].split(";")[0]) == (404, "text/html")
        assert "地址不存在" in response.text
