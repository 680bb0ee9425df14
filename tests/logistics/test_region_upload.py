"""Restricted regions uploaded in the console or the API, and the hold shown on the order's pages."""

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import utcnow
from aftersales.logistics import regions
from aftersales.logistics.models import RestrictedRegion
from aftersales.orders.models import Order, OrderStatus
from tests.builders import make_order, make_region, make_ticket

Headers = Callable[..., dict[str, str]]
HEADER = "省份,城市,区县,快递公司,停发原因,开始时间,结束时间\n"
GOOD = HEADER + "新疆维吾尔自治区,,,,大促爆仓停发,2026-11-10 00:00,\n西藏自治区,,,,大雪封路,2026-11-10,\n"
BAD = HEADER + "新疆维吾尔自治区,,,,大促爆仓停发,2026-11-10 00:00,\n西藏自治区,,,,,2026-11-10,\n"
API = "/api/logistics/restricted-regions/import"
CONSOLE = "/console/logistics/regions/import"


def upload(
    client: TestClient, url: str, body: str, headers: dict[str, str], name: str = "停发.csv"
) -> Response:
    return client.post(url, files={"file": (name, body.encode("utf-8"), "text/csv")}, headers=headers)


def region_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(RestrictedRegion)) or 0


class TestApiUpload:
    def test_a_supervisor_uploads_the_daily_file(self, client: TestClient, auth_headers: Headers) -> None:
        response = upload(client, API, GOOD, auth_headers(Role.SUPERVISOR))
        assert (response.status_code, response.json()["created"]) == (200, 2)

    def test_a_bad_row_is_named_with_its_row_and_column(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        response = upload(client, API, BAD, auth_headers(Role.SUPERVISOR))
        assert response.status_code == 422
        assert "第 3 行 停发原因" in response.json()["detail"]

    def test_a_file_with_a_bad_row_stores_nothing(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        upload(client, API, BAD, auth_headers(Role.SUPERVISOR))
        assert region_count(session) == 0

    def test_a_file_of_another_type_is_refused(self, client: TestClient, auth_headers: Headers) -> None:
        response = upload(client, API, GOOD, auth_headers(Role.SUPERVISOR), name="停发.pdf")
        assert response.status_code == 422

    def test_an_agent_may_not_upload(self, client: TestClient, auth_headers: Headers) -> None:
        assert upload(client, API, GOOD, auth_headers()).status_code == 403


class TestConsoleUpload:
    def test_the_upload_reports_what_it_stored(self, client: TestClient, auth_headers: Headers) -> None:
        response = upload(client, CONSOLE, GOOD, auth_headers(Role.SUPERVISOR))
        assert response.status_code == 200
        assert "新增 2 个" in response.text

    def test_bad_rows_are_listed_on_the_page_and_nothing_is_stored(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        response = upload(client, CONSOLE, BAD, auth_headers(Role.SUPERVISOR))
        assert response.status_code == 422
        assert "未导入任何数据" in response.text
        assert region_count(session) == 0

    def test_the_regions_page_offers_the_upload_to_supervisors(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        page = client.get("/console/logistics/regions", headers=auth_headers(Role.SUPERVISOR))
        assert 'action="/console/logistics/regions/import"' in page.text


def held_order(session: Session) -> Order:
    order = make_order(session, province="西藏自治区", status=OrderStatus.PAID)
    make_region(session, province="西藏自治区", valid_from=utcnow() - timedelta(hours=1), reason="大雪封路")
    regions.flag_orders(session, now=utcnow())
    return order


def region_panel_url(order: Order) -> str:
    return f"/console/logistics/panels/order/{order.id}/region"


class TestHoldOnTheOrdersPages:
    """The hold is a detail-page panel (aftersales/web/panels.py): the order and ticket pages carry
    a placeholder card, logistics' route returns the card (or nothing, which removes it)."""

    def test_the_order_detail_loads_the_region_panel(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = held_order(session)
        page = client.get(f"/console/orders/{order.id}", headers=auth_headers())
        assert f'hx-get="{region_panel_url(order)}"' in page.text
        assert 'data-panel="停发地区"' in page.text

    def test_the_region_panel_shows_the_restricted_region_as_a_warning(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = held_order(session)
        panel = client.get(region_panel_url(order), headers=auth_headers())
        assert panel.status_code == 200
        assert 'data-testid="region-holds"' in panel.text
        assert "停发地区" in panel.text
        assert "大雪封路" in panel.text
        assert "暂停发货" in panel.text
        assert 'data-tone="warn"' in panel.text
        assert "hx-get" not in panel.text  # the whole card, replacing the placeholder

    def test_the_ticket_of_the_order_loads_the_region_panel(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = held_order(session)
        ticket = make_ticket(session, order=order)
        page = client.get(f"/console/tickets/{ticket.id}", headers=auth_headers())
        assert f'hx-get="{region_panel_url(order)}"' in page.text

    def test_a_ticket_without_an_order_has_no_order_panels(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session)
        page = client.get(f"/console/tickets/{ticket.id}", headers=auth_headers())
        assert page.status_code == 200
        assert "/console/logistics/panels/order/" not in page.text
        assert f'hx-get="/console/selfservice/panels/ticket/{ticket.id}"' in page.text

    def test_an_order_outside_restricted_regions_has_no_region_panel(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session, province="浙江省")
        panel = client.get(region_panel_url(order), headers=auth_headers())
        assert panel.status_code == 200
        assert panel.text == ""  # an empty body removes the placeholder card
