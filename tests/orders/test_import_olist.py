"""A marketplace export with delivery dates (the Olist layout) through the ``olist`` mapping."""

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform
from aftersales.orders.importer import ColumnMapping, OrderImporter
from aftersales.orders.models import Order, OrderStatus, Shipment, TrackingStatus
from tests.builders import make_shop
from tests.builders.olist import write_olist


@pytest.fixture
def olist(session: Session, tmp_path: Path) -> Path:
    make_shop(session, code="olist", platform=Platform.OWN)
    files = write_olist(tmp_path, orders=200, seed=7)
    report = OrderImporter(session, ColumnMapping.load("olist"), shop_code="olist").run(files.orders)
    assert report.errors == []
    return files.orders


def _parcel(session: Session, status: str) -> Shipment:
    parcel = session.scalars(
        select(Shipment).join(Order, Order.id == Shipment.order_id).where(Order.status == status).limit(1)
    ).first()
    assert parcel is not None
    return parcel


@pytest.mark.usefixtures("olist")
def test_every_order_of_the_file_is_stored(session: Session) -> None:
    assert len(session.scalars(select(Order.id)).all()) == 200


@pytest.mark.usefixtures("olist")
def test_a_delivered_order_carries_shipped_estimated_and_delivered_times(session: Session) -> None:
    parcel = _parcel(session, OrderStatus.COMPLETED)
    assert parcel.status == TrackingStatus.DELIVERED
    assert parcel.estimated_delivery_at is not None
    assert parcel.delivered_at is not None
    assert parcel.shipped_at < parcel.delivered_at


@pytest.mark.usefixtures("olist")
def test_without_a_tracking_number_the_parcel_is_keyed_by_the_order(session: Session) -> None:
    parcel = _parcel(session, OrderStatus.COMPLETED)
    order_no = session.scalar(select(Order.source_id).where(Order.id == parcel.order_id))
    assert (parcel.courier, parcel.tracking_no) == ("other", order_no)


@pytest.mark.usefixtures("olist")
def test_an_order_cancelled_before_shipping_has_no_parcel(session: Session) -> None:
    cancelled = session.scalars(select(Order.id).where(Order.status == OrderStatus.CLOSED)).all()
    assert cancelled
    assert session.scalars(select(Shipment.id).where(Shipment.order_id.in_(cancelled))).all() == []


def test_importing_the_file_again_changes_nothing(session: Session, olist: Path) -> None:
    again = OrderImporter(session, ColumnMapping.load("olist"), shop_code="olist").run(olist)
    assert (again.created, again.errors) == (0, [])


HEADER = (
    "order_id,customer_id,order_status,price,order_purchase_timestamp,"
    "order_delivered_carrier_date,order_delivered_customer_date\n"
)
BOUGHT = "2017-10-02 10:56:33.000000,2017-10-03 09:00:00"


def test_a_later_export_with_the_delivery_marks_the_parcel_delivered(
    session: Session, tmp_path: Path
) -> None:
    make_shop(session, code="olist", platform=Platform.OWN)
    first = tmp_path / "first.csv"
    first.write_text(f"{HEADER}order-0001,c1,shipped,10.00,{BOUGHT},\n", encoding="utf-8")
    later = tmp_path / "later.csv"
    later.write_text(
        f"{HEADER}order-0001,c1,delivered,10.00,{BOUGHT},2017-10-09 15:10:00\n", encoding="utf-8"
    )
    for path in (first, later):
        OrderImporter(session, ColumnMapping.load("olist"), shop_code="olist").run(path)
    parcel = session.scalars(select(Shipment)).one()
    assert (parcel.status, parcel.delivered_at is not None) == (TrackingStatus.DELIVERED, True)


def test_the_generic_layout_takes_ship_estimate_and_delivery_columns(
    session: Session, tmp_path: Path
) -> None:
    make_shop(session, code="gen")
    path = tmp_path / "orders.csv"
    path.write_text(
        "order_no,buyer_nick,status,paid_yuan,ordered_at,tracking_no,courier,shipped_at,"
        "estimated_delivery_at,delivered_at\n"
        "G1,b,completed,10,2026/11/11 10:00:00,ZT000111,中通快递,"
        "2026-11-11T18:00:00,2026年11月14日,20261113153000\n",
        encoding="utf-8",
    )
    report = OrderImporter(session, ColumnMapping.load("generic"), shop_code="gen").run(path)
    parcel = session.scalars(select(Shipment)).one()
    assert report.errors == []
    assert (parcel.status, parcel.delivered_at is not None, parcel.estimated_delivery_at is not None) == (
        TrackingStatus.DELIVERED,
        True,
        True,
    )
