"""Associations between orders and their outcomes, on a marketplace export imported through mappings."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from aftersales.analytics.association_analysis import associations
from aftersales.analytics.repository import order_outcome_groups, parcel_groups
from aftersales.analytics.scope import Scope
from aftersales.catalog.models import Platform
from aftersales.orders.importer import ColumnMapping, OrderImporter
from aftersales.orders.models import OrderStatus
from aftersales.reviews.importer import ReviewImporter, load_mapping
from tests.analytics.conftest import at
from tests.builders import make_order, make_shipment, make_shop
from tests.builders.olist import OlistFiles, write_olist

WHOLE = Scope(date(2017, 1, 1), date(2018, 12, 31))


@pytest.fixture
def olist(session: Session, tmp_path: Path) -> OlistFiles:
    make_shop(session, code="olist", platform=Platform.OWN)
    files = write_olist(tmp_path, orders=900, seed=11)
    OrderImporter(session, ColumnMapping.load("olist"), shop_code="olist").run(files.orders)
    report = ReviewImporter(session, shop_code="olist", mapping=load_mapping("olist")).run(files.reviews)
    assert report.errors == []
    return files


def test_late_delivery_leading_to_one_star_is_among_the_top_findings(
    session: Session, olist: OlistFiles
) -> None:
    findings = associations(session, WHOLE).findings
    late = [f for f in findings[:5] if f.startswith("晚") and "→ 1星" in f]
    assert late, findings


def test_the_lift_printed_is_the_one_star_rate_when_late_over_the_rate_of_all_rated_orders(
    session: Session, olist: OlistFiles
) -> None:
    rated = olist.late + olist.on_time
    base = (olist.late_one_star + olist.on_time_one_star) / rated
    groups = order_outcome_groups(session, WHOLE)
    late = [(c, n) for c, n in groups if str(c["延迟"]).startswith("晚") and c["评分"] is not None]
    late_rate = sum(n for c, n in late if c["评分"] == "1星") / sum(n for _c, n in late)
    assert late_rate == pytest.approx(olist.late_one_star / olist.late)
    assert late_rate / base > 2.0


def test_orders_without_a_rating_are_not_cases_of_the_rating(session: Session, olist: OlistFiles) -> None:
    table = next(t for t in associations(session, WHOLE).tables if t.key == "order_crosstab")
    one_star = [r for r in table.rows if r[2] == "1星"]
    assert one_star
    assert all(r[3] <= olist.late + olist.on_time for r in one_star)


def _lateness_of(session: Session, *, status: OrderStatus) -> object:
    shop = make_shop(session)
    order = make_order(session, shop=shop, status=status, ordered_at=at(1))
    make_shipment(
        session, order=order, shipped_at=at(9), estimated_delivery_at=at(9, day=14), delivered_at=None
    )
    groups = order_outcome_groups(session, Scope(date(2026, 11, 11), date(2026, 11, 11), shop_id=shop.id))
    return groups[0][0]["延迟"]


def test_a_cancelled_order_never_delivered_is_not_late(session: Session) -> None:
    assert _lateness_of(session, status=OrderStatus.CLOSED) == "取消未送达"


def test_an_open_order_past_its_estimate_is_overdue(session: Session) -> None:
    assert _lateness_of(session, status=OrderStatus.SHIPPED) == "逾期未送达"


def test_a_parcel_of_a_cancelled_order_is_not_counted_as_a_delayed_parcel(session: Session) -> None:
    shop = make_shop(session)
    for status in (OrderStatus.CLOSED, OrderStatus.SHIPPED):
        order = make_order(session, shop=shop, status=status, ordered_at=at(1))
        make_shipment(
            session, order=order, shipped_at=at(9), estimated_delivery_at=at(9, day=14), delivered_at=None
        )
    scope = Scope(date(2026, 11, 11), date(2026, 11, 11), shop_id=shop.id)
    outcomes = sorted(str(c["物流结果"]) for c, n in parcel_groups(session, scope) for _ in range(n))
    assert outcomes == ["正常", "物流延误"]
