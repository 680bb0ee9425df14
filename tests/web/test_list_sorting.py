"""Every list page sorts by the orders it offers (排序), keeps the order in its URL, and refuses
an order it does not offer in Chinese."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from tests.builders import (
    make_anomaly_row,
    make_intercept_row,
    make_order,
    make_return_request,
    make_review,
    make_shop,
)
from tests.web.test_console import log_in

NOW = utcnow()


def first_of(page: str, *links: str) -> str:
    """Which of ``links`` the page lists first."""
    return min(links, key=lambda link: page.index(link))


def test_orders_sort_by_paid_amount(client: TestClient, session: Session) -> None:
    small = make_order(session, paid_fen=1_000, total_fen=1_000, ordered_at=NOW)
    large = make_order(session, paid_fen=99_000, total_fen=99_000, ordered_at=NOW - timedelta(days=1))
    log_in(client, session)
    page = client.get("/console/orders?sort=paid_desc").text
    assert first_of(page, f'/console/orders/{small.id}"', f'/console/orders/{large.id}"') == (
        f'/console/orders/{large.id}"'
    )


def test_returns_sort_by_refund_amount(client: TestClient, session: Session) -> None:
    small = make_return_request(session, order=make_order(session, paid_fen=5_000, total_fen=5_000))
    large = make_return_request(session, order=make_order(session, paid_fen=90_000, total_fen=90_000))
    log_in(client, session)
    page = client.get("/console/returns?sort=refund_desc").text
    assert first_of(page, f'/console/returns/{small.id}"', f'/console/returns/{large.id}"') == (
        f'/console/returns/{large.id}"'
    )


def test_reviews_sort_by_stars(client: TestClient, session: Session) -> None:
    shop = make_shop(session)
    good = make_review(session, shop=shop, stars=5, text="很好", reviewed_at=NOW - timedelta(hours=1))
    bad = make_review(session, shop=shop, stars=1, text="太差了", reviewed_at=NOW - timedelta(hours=2))
    log_in(client, session)
    page = client.get("/console/reviews?sort=stars_asc").text
    assert first_of(page, f'/console/reviews/{good.id}"', f'/console/reviews/{bad.id}"') == (
        f'/console/reviews/{bad.id}"'
    )


def test_anomalies_sort_by_when_they_began(client: TestClient, session: Session) -> None:
    recent = make_anomaly_row(session, first_seen_at=NOW, observed_at=NOW - timedelta(days=1))
    old = make_anomaly_row(
        session, first_seen_at=NOW - timedelta(hours=1), observed_at=NOW - timedelta(days=5)
    )
    log_in(client, session)
    page = client.get("/console/logistics?sort=observed_asc").text
    assert first_of(page, f"/console/orders/{recent.order_id}", f"/console/orders/{old.order_id}") == (
        f"/console/orders/{old.order_id}"
    )


def test_intercepts_sort_by_goods_value(client: TestClient, session: Session) -> None:
    cheap = make_intercept_row(session, created_at=NOW, goods_value_fen=1_000)
    dear = make_intercept_row(session, created_at=NOW - timedelta(hours=1), goods_value_fen=80_000)
    log_in(client, session)
    page = client.get("/console/logistics/intercepts?sort=value_desc").text
    assert first_of(page, f"/console/orders/{cheap.order_id}", f"/console/orders/{dear.order_id}") == (
        f"/console/orders/{dear.order_id}"
    )


def test_the_chosen_order_is_selected_in_the_form(client: TestClient, session: Session) -> None:
    log_in(client, session)
    page = client.get("/console/orders?sort=paid_desc").text
    assert '<option value="paid_desc" selected>' in page


def test_an_order_the_page_does_not_offer_is_refused_in_chinese(client: TestClient, session: Session) -> None:
    log_in(client, session)
    response = client.get("/console/orders?sort=shoe_size")
    assert response.status_code == 422
    assert "不是可选的排序方式" in response.text
