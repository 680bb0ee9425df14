from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from tests.builders import make_event, make_shipment, make_user
from tests.builders.auth import PASSWORD


def log_in(client: TestClient, session: Session, role: Role = Role.AGENT) -> None:
    user = make_user(session, role=role)
    response = client.post(
        "/console/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303


def test_console_redirects_to_login_when_not_logged_in(client: TestClient) -> None:
    response = client.get("/console/orders", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (
        303,
        "/console/login?next=/console/orders",
    )


def test_wrong_password_shows_the_login_page_again_with_an_error(
    client: TestClient, session: Session
) -> None:
    user = make_user(session)
    response = client.post("/console/login", data={"username": user.username, "password": "wrong-password"})
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_login_never_redirects_off_site(client: TestClient, session: Session) -> None:
    user = make_user(session)
    data = {"username": user.username, "password": PASSWORD, "next": "https://evil.example/"}
    response = client.post("/console/login", data=data, follow_redirects=False)
    assert response.headers["location"] == "/console/"


def test_order_detail_page_shows_parcels_and_masked_phone(client: TestClient, session: Session) -> None:
    shipment = make_shipment(session, tracking_no="YT8899001122334")
    make_event(session, shipment=shipment, raw_text="【乌鲁木齐市】快件已揽收")
    log_in(client, session)
    page = client.get(f"/console/orders/{shipment.order_id}").text
    assert "YT8899001122334" in page
    assert "【乌鲁木齐市】快件已揽收" in page
    assert "138****5678" in page
    assert "13812345678" not in page


def test_search_fragment_is_returned_for_htmx_requests(client: TestClient, session: Session) -> None:
    shipment = make_shipment(session)
    log_in(client, session)
    fragment = client.get("/console/orders", headers={"HX-Request": "true"}).text
    assert "<html" not in fragment
    assert f"/console/orders/{shipment.order_id}" in fragment


def test_missing_order_renders_an_error_page(client: TestClient, session: Session) -> None:
    log_in(client, session)
    response = client.get("/console/orders/999999")
    assert response.status_code == 404
    assert "订单不存在" in response.text


def test_the_navigation_marks_only_the_page_the_user_is_on(
    client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    page = client.get("/console/orders/import", headers=auth_headers(Role.SUPERVISOR))
    assert page.text.count('aria-current="page"') == 1
    assert 'href="/console/orders/import" aria-current="page"' in page.text
