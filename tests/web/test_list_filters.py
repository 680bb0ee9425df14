"""The console's list pages read "全部" (an empty value) as no filter, find a pasted order number,
explain a bad value in Chinese and keep the filters when paging."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.returns.models import RequestStatus
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

EMPTY_FILTERS = {
    "/console/tickets": "q=&status=&sla=&shift_id=&group_id=&sort=sla",
    "/console/orders": "q=&shop_id=&status=",
    "/console/logistics": "q=&kind=&status=open&courier=",
    "/console/logistics/intercepts": "q=&status=",
    "/console/returns": "q=&status=&kind=&shop_id=",
    "/console/reviews": "q=&shop_id=&stars=&triage=&mismatch=&sku_id=&replied=",
}


@pytest.mark.parametrize(("path", "query"), EMPTY_FILTERS.items())
def test_all_in_every_filter_is_no_filter(
    client: TestClient, session: Session, path: str, query: str
) -> None:
    log_in(client, session)
    response = client.get(f"{path}?{query}")
    assert response.status_code == 200, response.text


def test_an_empty_shop_on_the_htmx_request_still_returns_rows(client: TestClient, session: Session) -> None:
    order = make_order(session)
    log_in(client, session)
    fragment = client.get(
        f"/console/orders?q={order.source_id}&shop_id=&status=", headers={"HX-Request": "true"}
    ).text
    assert f"/console/orders/{order.id}" in fragment


@pytest.mark.parametrize(
    ("path", "query", "shown"),
    [
        ("/console/logistics", "kind=no_such_kind", "类型「no_such_kind」不是可选的值"),
        ("/console/logistics/intercepts", "status=nope", "状态「nope」不是可选的值"),
        ("/console/returns", "shop_id=abc", "店铺「abc」应为整数"),
        ("/console/reviews", "stars=x", "星级「x」应为整数"),
        ("/console/tickets", "page=0", "页码「0」不能小于 1"),
    ],
)
def test_a_bad_filter_value_is_explained_in_chinese(
    client: TestClient, session: Session, path: str, query: str, shown: str
) -> None:
    log_in(client, session)
    response = client.get(f"{path}?{query}")
    assert response.status_code == 422
    assert shown in response.text
    assert "Input should" not in response.text
    assert f'href="{path}"' in response.text  # 清除筛选条件


def test_the_json_api_keeps_its_field_errors(client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/api/orders?shop_id=", headers=auth_headers())
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == "query.shop_id"


@pytest.mark.parametrize("by", ["tracking_no", "order_no"])
def test_anomalies_are_found_by_order_or_tracking_number(
    client: TestClient, session: Session, by: str
) -> None:
    order = make_order(session)
    parcel = make_shipment(session, order=order)
    make_anomaly_row(session, first_seen_at=utcnow(), shipment=parcel)
    make_anomaly_row(session, first_seen_at=utcnow())
    number = order.source_id if by == "order_no" else parcel.tracking_no
    log_in(client, session)
    page = client.get(f"/console/logistics?q={number}").text
    assert page.count('href="/console/orders/') == 1
    assert f"/console/orders/{order.id}" in page


def test_intercepts_are_found_by_order_number(client: TestClient, session: Session) -> None:
    wanted = make_order(session)
    make_intercept_row(session, created_at=utcnow(), shipment=make_shipment(session, order=wanted))
    make_intercept_row(session, created_at=utcnow())
    log_in(client, session)
    page = client.get(f"/console/logistics/intercepts?q=+{wanted.source_id}+").text
    assert page.count('href="/console/orders/') == 1
    assert f"/console/orders/{wanted.id}" in page


def test_returns_are_found_by_order_number_whatever_their_state(client: TestClient, session: Session) -> None:
    order = make_order(session)
    wanted = make_return_request(session, order=order)
    wanted.status = RequestStatus.RESOLVED
    other = make_return_request(session)
    log_in(client, session)
    page = client.get(f"/console/returns?q={order.source_id}").text
    assert f"/console/returns/{wanted.id}" in page
    assert f"/console/returns/{other.id}" not in page


def test_reviews_are_found_by_order_number(client: TestClient, session: Session) -> None:
    shop = make_shop(session)
    order = make_order(session, shop=shop)
    wanted = make_review(session, shop=shop, order_no=order.source_id, text="包装破了")
    make_review(session, shop=shop, text="很好用")
    log_in(client, session)
    page = client.get(f"/console/reviews?q={order.source_id}").text
    assert f"/console/reviews/{wanted.id}" in page
    assert "很好用" not in page


def test_the_pager_keeps_the_filters(client: TestClient, session: Session) -> None:
    shop = make_shop(session)
    for n in range(3):
        make_ticket(session, shop=shop, title=f"排队{n}", now=utcnow() - timedelta(minutes=n))
    log_in(client, session)
    page = client.get("/console/tickets?q=排队&sort=created&size=2&shift_id=").text
    assert 'href="/console/tickets?q=%E6%8E%92%E9%98%9F&amp;sort=created&amp;size=2&amp;page=2"' in page
