"""Each list page exports exactly its filtered rows to Excel: Chinese headers, money as numbers,
text that would run as a formula made inert."""

import io
import re
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.web.export import cell
from tests.builders import (
    make_anomaly_row,
    make_intercept_row,
    make_order,
    make_return_request,
    make_review,
    make_shipment,
    make_shop,
    make_ticket,
)
from tests.web.test_console import log_in


def sheet_rows(client: TestClient, url: str) -> list[tuple[object, ...]]:
    response = client.get(url)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return list(sheet.iter_rows(values_only=True))


def test_orders_export_only_the_filtered_rows_with_money_as_numbers(
    client: TestClient, session: Session
) -> None:
    north, south = make_shop(session, name="北店"), make_shop(session, name="南店")
    make_order(session, shop=north, source_id="260000000777", paid_fen=12_345)
    make_order(session, shop=south)
    log_in(client, session)
    rows = sheet_rows(client, f"/console/orders?shop_id={north.id}&status=&page=2&export=xlsx")
    assert rows[0][:3] == ("订单号", "店铺", "状态")
    assert [(r[0], r[1], r[7]) for r in rows[1:]] == [("260000000777", "北店", 123.45)]


@pytest.mark.parametrize(
    ("path", "first_header"),
    [
        ("/console/tickets", "工单号"),
        ("/console/logistics", "类型"),
        ("/console/logistics/intercepts", "订单号"),
        ("/console/returns", "申请号"),
        ("/console/reviews", "评价时间"),
    ],
)
def test_every_list_page_exports_its_rows(
    client: TestClient, session: Session, path: str, first_header: str
) -> None:
    order = make_order(session, source_id="260000000888")
    parcel = make_shipment(session, order=order)
    make_ticket(session, order=order)
    make_anomaly_row(session, first_seen_at=utcnow(), shipment=parcel)
    make_intercept_row(session, created_at=utcnow(), shipment=parcel)
    make_return_request(session, order=order)
    make_review(session, order_no=order.source_id)
    log_in(client, session)
    rows = sheet_rows(client, f"{path}?export=xlsx")
    shown = re.search(r"共 (\d+) 条,第", client.get(path).text)
    assert rows[0][0] == first_header
    assert shown is not None
    assert len(rows) - 1 == int(shown.group(1)) > 0


def test_the_list_page_links_to_its_export_with_the_filters(client: TestClient, session: Session) -> None:
    log_in(client, session)
    page = client.get("/console/returns?kind=exchange&page=2").text
    assert 'href="/console/returns?kind=exchange&amp;export=xlsx"' in page


def test_text_that_starts_like_a_formula_is_written_as_text() -> None:
    assert cell('=HYPERLINK("http://x","点我")') == '\'=HYPERLINK("http://x","点我")'
    assert cell("-1+2") == "'-1+2"
    assert cell(Decimal("1.50")) == Decimal("1.50")
