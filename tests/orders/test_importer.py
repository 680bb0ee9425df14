import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform
from aftersales.kit.tables import FileFormatError
from aftersales.logistics import incremental
from aftersales.logistics.models import ScanMark, ScanOrderMark
from aftersales.orders.importer import ColumnMapping, OrderImporter
from aftersales.orders.models import Order, OrderItem, OrderStatus, Shipment
from tests.builders import make_shop

HEADER = [
    "order_no",
    "buyer_nick",
    "status",
    "total_yuan",
    "paid_yuan",
    "postage_yuan",
    "receiver_phone",
    "province",
    "city",
    "district",
    "address",
    "ordered_at",
    "paid_at",
    "item_title",
    "sku_code",
    "quantity",
    "unit_price_yuan",
    "tracking_no",
    "courier",
]


def row(order_no: str, **overrides: str) -> dict[str, str]:
    values = {
        "order_no": order_no,
        "buyer_nick": f"buyer-{order_no}",
        "status": "shipped",
        "total_yuan": "199.00",
        "paid_yuan": "199.00",
        "postage_yuan": "0",
        "receiver_phone": "13800001234",
        "province": "浙江省",
        "city": "杭州市",
        "district": "西湖区",
        "address": "文三路 1号",
        "ordered_at": "2026-11-11 00:01:00",
        "paid_at": "2026-11-11 00:01:30",
        "item_title": "四件套",
        "sku_code": "HT-4PC",
        "quantity": "1",
        "unit_price_yuan": "199.00",
        "tracking_no": f"ZT{order_no}0000",
        "courier": "中通快递",
        **overrides,
    }
    return values


def write_csv(path: Path, rows: list[dict[str, str]], encoding: str = "utf-8-sig") -> Path:
    with path.open("w", newline="", encoding=encoding) as handle:
        writer = csv.DictWriter(handle, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def run(session: Session, path: Path, mapping: str = "generic", shop_code: str | None = "shop-imp"):  # type: ignore[no-untyped-def]
    return OrderImporter(session, ColumnMapping.load(mapping), shop_code=shop_code).run(path)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def shop(session: Session):  # type: ignore[no-untyped-def]
    return make_shop(session, code="shop-imp")


@pytest.mark.usefixtures("shop")
class TestImportCsv:
    def test_importing_the_same_file_twice_yields_the_same_rows(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "orders.csv", [row("1"), row("2"), row("3")])
        first = run(session, path)
        snapshot = list(
            session.execute(select(Order.source_id, Order.paid_fen, Order.status).order_by(Order.source_id))
        )
        second = run(session, path)
        assert (first.created, second.created) == (3, 0)
        assert (
            list(
                session.execute(
                    select(Order.source_id, Order.paid_fen, Order.status).order_by(Order.source_id)
                )
            )
            == snapshot
        )
        assert (count(session, Order), count(session, OrderItem), count(session, Shipment)) == (3, 3, 3)

    def test_bad_rows_are_reported_with_row_column_and_reason_and_good_rows_kept(
        self, session: Session, tmp_path: Path
    ) -> None:
        rows = [row("1"), row("2", paid_yuan="abc"), row("3", status="不知道"), row("4", courier="火星快递")]
        report = run(session, write_csv(tmp_path / "orders.csv", rows))
        assert [(e.row, e.column) for e in report.errors] == [(3, "paid_yuan"), (4, "status"), (5, "courier")]
        assert "金额格式错误" in report.errors[0].reason
        assert str(report.errors[1]) == "第 4 行, 列「status」: 未知订单状态: 不知道"
        assert list(session.scalars(select(Order.source_id))) == ["1"]

    def test_lines_of_one_order_become_one_order_with_several_items(
        self, session: Session, tmp_path: Path
    ) -> None:
        rows = [row("1"), row("1", item_title="枕头", sku_code="HT-P", tracking_no="ZT1SECOND")]
        run(session, write_csv(tmp_path / "orders.csv", rows))
        assert (count(session, Order), count(session, OrderItem), count(session, Shipment)) == (1, 2, 2)

    def test_a_bad_line_rejects_its_whole_order_so_no_order_is_half_stored(
        self, session: Session, tmp_path: Path
    ) -> None:
        rows = [row("1"), row("1", quantity="two")]
        report = run(session, write_csv(tmp_path / "orders.csv", rows))
        assert (len(report.errors), count(session, Order)) == (1, 0)

    def test_missing_required_column_fails_before_anything_is_stored(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = tmp_path / "orders.csv"
        path.write_text("order_no,buyer_nick\n1,x\n", encoding="utf-8")
        with pytest.raises(FileFormatError, match="缺少必需的列"):
            run(session, path)
        assert count(session, Order) == 0

    def test_gbk_encoded_file_is_read(self, session: Session, tmp_path: Path) -> None:
        run(
            session,
            write_csv(tmp_path / "orders.csv", [row("1", item_title="加厚珊瑚绒四件套")], encoding="gbk"),
        )
        assert session.scalar(select(OrderItem.title)) == "加厚珊瑚绒四件套"


@pytest.mark.usefixtures("shop")
def test_xlsx_file_is_imported_like_csv(session: Session, tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(list(row("9").values()))
    path = tmp_path / "orders.xlsx"
    workbook.save(path)
    assert run(session, path).created == 1


@pytest.mark.usefixtures("shop")
def test_a_blank_workbook_row_is_skipped_and_later_rows_keep_their_sheet_numbers(
    session: Session, tmp_path: Path
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(list(row("9").values()))
    sheet.append([])
    sheet.append(list(row("10", paid_yuan="abc").values()))
    path = tmp_path / "orders.xlsx"
    workbook.save(path)
    report = run(session, path)
    assert (report.rows, report.created) == (2, 1)
    assert [(e.row, e.column) for e in report.errors] == [(4, "paid_yuan")]


def test_taobao_order_report_sample_imports_with_shops_resolved_by_name(
    session: Session, shared_data: Path
) -> None:
    for name in ("示例家纺旗舰店", "示例数码专营店", "示例母婴店"):
        make_shop(session, name=name, platform=Platform.TAOBAO)
    report = run(
        session, shared_data / "formats" / "taobao_order_report_sample.csv", mapping="taobao", shop_code=None
    )
    assert (report.orders, report.errors) == (3, [])
    order = session.scalar(select(Order).where(Order.source_id == "3748201956372811"))
    assert order is not None
    assert (order.province, order.paid_fen, order.status) == (
        "新疆维吾尔自治区",
        154900,
        OrderStatus.COMPLETED,
    )
    assert session.scalar(select(Shipment.courier).where(Shipment.tracking_no == "YT8899001122334")) == "yto"


@pytest.mark.usefixtures("shop")
def test_a_tracking_number_too_short_for_a_parcel_is_a_row_error_and_its_order_waits(
    session: Session, tmp_path: Path
) -> None:
    report = run(session, write_csv(tmp_path / "orders.csv", [row("1"), row("2", tracking_no="ZT1")]))
    assert [(e.row, e.column) for e in report.errors] == [(3, "tracking_no")]
    assert list(session.scalars(select(Order.source_id))) == ["1"]


@pytest.mark.usefixtures("shop")
def test_an_item_line_past_the_schema_limits_fails_its_row_before_its_parcel_does(
    session: Session, tmp_path: Path
) -> None:
    long_title = "长" * 256
    rows = [row("1"), row("2", item_title=long_title), row("3", item_title=long_title, courier="火星快递")]
    report = run(session, write_csv(tmp_path / "orders.csv", rows))
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (3, "item_title", "String should have at most 255 characters"),
        (4, "item_title", "String should have at most 255 characters"),
    ]
    assert list(session.scalars(select(Order.source_id))) == ["1"]


class TestPlatformOfTheShop:
    """A platform's report fills only that platform's shops (a 淘宝 row naming a 京东 shop was
    stored as a 京东 order without a word)."""

    def report(self, session: Session, shared_data: Path, platform: Platform):  # type: ignore[no-untyped-def]
        for name in ("示例家纺旗舰店", "示例数码专营店", "示例母婴店"):
            make_shop(session, name=name, platform=platform)
        return run(
            session,
            shared_data / "formats" / "taobao_order_report_sample.csv",
            mapping="taobao",
            shop_code=None,
        )

    def test_a_taobao_row_naming_a_jd_shop_is_a_row_error(self, session: Session, shared_data: Path) -> None:
        report = self.report(session, shared_data, Platform.JD)
        assert report.orders == 0
        assert report.errors[0].column == "店铺名称"
        assert "是京东店铺,与淘宝订单报表不符" in report.errors[0].reason

    def test_a_taobao_report_fills_tmall_shops(self, session: Session, shared_data: Path) -> None:
        assert self.report(session, shared_data, Platform.TMALL).errors == []

    def test_a_given_shop_of_another_platform_is_refused_before_anything_is_stored(
        self, session: Session, tmp_path: Path
    ) -> None:
        make_shop(session, code="jd-shop", platform=Platform.JD)
        with pytest.raises(FileFormatError, match="京东店铺"):
            run(session, write_csv(tmp_path / "o.csv", [row("1")]), mapping="taobao", shop_code="jd-shop")
        assert count(session, Order) == 0


@pytest.mark.usefixtures("shop")
def test_an_import_batch_marks_its_orders_and_all_their_parcels_for_the_scan_in_one_pass(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(session, write_csv(tmp_path / "first.csv", [row("1")]))
    session.execute(delete(ScanMark))
    session.execute(delete(ScanOrderMark))
    passes: list[list[int]] = []
    mark_orders = incremental.mark_orders
    monkeypatch.setattr(incremental, "mark_orders", lambda s, ids: (passes.append(ids), mark_orders(s, ids)))
    second = [row("1", tracking_no="ZT1NEW0000"), row("2")]
    run(session, write_csv(tmp_path / "second.csv", second))
    orders = set(session.scalars(select(Order.id)))
    assert [sorted(ids) for ids in passes] == [sorted(orders)]
    assert set(session.scalars(select(ScanOrderMark.order_id))) == orders
    assert set(session.scalars(select(ScanMark.shipment_id))) == set(session.scalars(select(Shipment.id)))
    assert count(session, Shipment) == 3
