import csv
from pathlib import Path

from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.orders.exporter import COLUMNS, export_orders
from aftersales.orders.importer import ColumnMapping, OrderImporter
from aftersales.orders.models import Order, OrderItem, OrderStatus
from tests.builders import make_order, make_shipment, make_shop


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_export_masks_phone_and_address_by_default(session: Session, tmp_path: Path) -> None:
    make_order(session, receiver_phone="13812345678", address="文三路 100号")
    export_orders(session, tmp_path / "o.csv", reveal=False)
    row = read_csv(tmp_path / "o.csv")[0]
    assert (row["收货手机"], row["详细地址"]) == ("138****5678", "文三路****")


def test_revealed_export_writes_whole_numbers(session: Session, tmp_path: Path) -> None:
    make_order(session, receiver_phone="13812345678")
    export_orders(session, tmp_path / "o.csv", reveal=True)
    assert read_csv(tmp_path / "o.csv")[0]["收货手机"] == "13812345678"


def test_xlsx_export_has_chinese_headers(session: Session, tmp_path: Path) -> None:
    make_order(session)
    export_orders(session, tmp_path / "o.xlsx", reveal=False)
    sheet = load_workbook(tmp_path / "o.xlsx").active
    assert sheet is not None
    assert [c.value for c in next(sheet.iter_rows(max_row=1))][:4] == [
        "订单号",
        "买家账号",
        "订单状态",
        "订单金额(元)",
    ]


def test_xlsx_amounts_are_numbers_and_statuses_chinese(session: Session, tmp_path: Path) -> None:
    make_order(session, paid_fen=15990, total_fen=15990, status=OrderStatus.COMPLETED)
    export_orders(session, tmp_path / "o.xlsx", reveal=False)
    sheet = load_workbook(tmp_path / "o.xlsx").active
    assert sheet is not None
    row = dict(zip(COLUMNS, (c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))), strict=True))
    assert (row["paid_yuan"], row["status"]) == (159.9, "交易成功")


def test_revealed_export_reimports_into_the_same_orders(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session, code="round-trip")
    order = make_order(session, shop=shop, paid_fen=15990, total_fen=15990)
    session.add(OrderItem(order_id=order.id, line_no=0, title="枕头", quantity=2, unit_price_fen=7995))
    make_shipment(session, order=order, courier="sf", tracking_no="SF1234567890")
    export_orders(session, tmp_path / "o.csv", reveal=True)
    report = OrderImporter(session, ColumnMapping.load("generic"), shop_code="round-trip").run(
        tmp_path / "o.csv"
    )
    assert (report.created, report.errors) == (0, [])
    assert session.scalar(select(Order.paid_fen).where(Order.id == order.id)) == 15990
