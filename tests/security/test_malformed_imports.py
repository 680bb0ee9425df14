"""Hostile or broken spreadsheets: clear errors naming the problem, and nothing stored partially.

Whole-file problems (unknown encoding, missing column, unreadable XLSX, empty file) refuse the
file before anything is written; bad cells (formulas, huge cells) are reported per row, and
``--strict`` stores nothing when any row is bad, even rows of batches already flushed.
"""

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from aftersales.cli import app as cli
from aftersales.kit import tables
from aftersales.kit.tables import MAX_CELL_CHARS, MAX_XLSX_RATIO, FileFormatError
from aftersales.orders.importer import ColumnMapping, OrderImporter
from aftersales.orders.models import Order
from tests.builders import make_shop
from tests.orders.test_importer import HEADER, row, write_csv

SHOP = "shop-hostile"


@pytest.fixture(autouse=True)
def shop(session: Session) -> None:
    make_shop(session, code=SHOP)


def orders(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Order).where(Order.source_id.like("H%"))) or 0


def import_file(session: Session, path: Path):  # type: ignore[no-untyped-def]
    return OrderImporter(session, ColumnMapping.load("generic"), shop_code=SHOP).run(path)


def cli_import(path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["import", "orders", str(path), "--mapping", "generic", "--shop", SHOP, *extra]
    )
    return result.exit_code, result.output


class TestEncodings:
    def test_a_gbk_file_imports_with_its_chinese_text_intact(self, session: Session, tmp_path: Path) -> None:
        path = write_csv(tmp_path / "gbk.csv", [row("H1", buyer_nick="小王的店铺买家")], encoding="gbk")
        assert import_file(session, path).created == 1
        assert session.scalar(select(Order.receiver_phone).where(Order.source_id == "H1")) == "13800001234"

    def test_an_unknown_encoding_is_refused_before_anything_is_stored(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = tmp_path / "utf16.csv"
        path.write_bytes(b"\xff\xfe" + ",".join(HEADER).encode("utf-16-le") + b"\x00\xd8\x00\xd8")
        with pytest.raises(FileFormatError, match="无法识别文件编码"):
            import_file(session, path)
        assert orders(session) == 0


class TestStructure:
    def test_a_missing_required_column_is_named_and_nothing_is_stored(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = tmp_path / "no-paid.csv"
        lines = [
            ",".join(h for h in HEADER if h != "paid_yuan"),
            ",".join(v for k, v in row("H1").items() if k != "paid_yuan"),
        ]
        path.write_text("\n".join(lines), encoding="utf-8")
        with pytest.raises(FileFormatError, match="缺少必需的列: paid"):
            import_file(session, path)
        assert orders(session) == 0

    def test_an_empty_file_is_refused(self, session: Session, tmp_path: Path) -> None:
        path = tmp_path / "empty.csv"
        path.write_bytes(b"")
        with pytest.raises(FileFormatError, match="文件为空"):
            import_file(session, path)

    def test_a_corrupt_xlsx_is_refused_with_a_clear_error(self, session: Session, tmp_path: Path) -> None:
        path = tmp_path / "broken.xlsx"
        path.write_bytes(b"PK\x03\x04 this is not really a workbook")
        with pytest.raises(FileFormatError, match="无法读取 Excel 文件"):
            import_file(session, path)
        assert orders(session) == 0

    def test_an_unsupported_file_type_is_refused(self, session: Session, tmp_path: Path) -> None:
        path = tmp_path / "orders.exe"
        path.write_bytes(b"MZ")
        with pytest.raises(FileFormatError, match="不支持的文件类型"):
            import_file(session, path)


class TestHostileCells:
    def test_a_formula_cell_in_a_csv_is_refused_for_its_row(self, session: Session, tmp_path: Path) -> None:
        rows = [row("H1"), row("H2", buyer_nick='=HYPERLINK("http://evil.example","点我")')]
        report = import_file(session, write_csv(tmp_path / "formula.csv", rows))
        assert [(e.row, e.column, e.reason) for e in report.errors] == [
            (3, "buyer_nick", "单元格含公式,已拒绝")
        ]
        assert list(session.scalars(select(Order.source_id).where(Order.source_id.like("H%")))) == ["H1"]

    def test_a_formula_as_order_number_is_a_row_error_not_a_crash(
        self, session: Session, tmp_path: Path
    ) -> None:
        rows = [row("H1"), row('=HYPERLINK("x")'), row("H3")]
        report = import_file(session, write_csv(tmp_path / "formula-no.csv", rows))
        assert [(e.row, e.column) for e in report.errors] == [(3, "order_no")]
        assert orders(session) == 2

    def test_a_formula_cell_in_an_xlsx_is_never_evaluated_nor_stored(
        self, session: Session, tmp_path: Path
    ) -> None:
        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.append(HEADER)
        sheet.append(list(row("H1").values()))
        sheet.append(list(row("H2", buyer_nick='=CONCATENATE("a","b")').values()))
        workbook.save(tmp_path / "formula.xlsx")
        report = import_file(session, tmp_path / "formula.xlsx")
        assert [(e.row, e.column) for e in report.errors] == [(3, "buyer_nick")]
        assert orders(session) == 1

    def test_a_huge_cell_is_refused_for_its_row_naming_the_column(
        self, session: Session, tmp_path: Path
    ) -> None:
        rows = [row("H1"), row("H2", address="路" * (MAX_CELL_CHARS + 1))]
        report = import_file(session, write_csv(tmp_path / "huge.csv", rows))
        assert [(e.row, e.column) for e in report.errors] == [(3, "address")]
        assert "内容过长" in report.errors[0].reason


@pytest.mark.usefixtures("session_factory")
class TestStrictImportStoresNothing:
    def test_strict_import_with_one_bad_row_after_a_full_batch_stores_nothing(
        self, session: Session, tmp_path: Path
    ) -> None:
        rows = [row(f"H{n}") for n in range(2100)] + [row("HBAD", buyer_nick="=1+1")]
        code, output = cli_import(write_csv(tmp_path / "big.csv", rows), "--strict")
        assert code == 1
        assert "未导入任何数据" in output
        assert orders(session) == 0

    def test_a_file_level_error_through_the_cli_says_nothing_was_written(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = tmp_path / "no-header.csv"
        path.write_text("foo,bar\n1,2\n", encoding="utf-8")
        code, output = cli_import(path)
        assert code == 1
        assert "未写入任何数据" in output
        assert orders(session) == 0

    def test_lenient_import_keeps_good_rows_and_lists_the_bad_one(
        self, session: Session, tmp_path: Path, session_factory: sessionmaker[Session]
    ) -> None:
        rows = [row("H1"), row("H2", buyer_nick="=1+1")]
        code, output = cli_import(write_csv(tmp_path / "mixed.csv", rows))
        assert code == 0
        assert "单元格含公式" in output
        assert orders(session) == 1


class TestBadNumbers:
    """Each bad number is one row error naming row and column; the other rows are stored."""

    @pytest.mark.parametrize(
        ("column", "value", "reason"),
        [
            ("paid_yuan", "NaN", "金额不是有效数字"),
            ("unit_price_yuan", "Infinity", "金额不是有效数字"),
            ("paid_yuan", "99999999999999", "金额超过上限"),
            ("quantity", "99999999999", "数值超过上限"),
            ("quantity", "1.5", "不是整数"),
        ],
    )
    def test_a_bad_number_is_a_row_error(
        self, session: Session, tmp_path: Path, column: str, value: str, reason: str
    ) -> None:
        rows = [row("H1"), row("H2", **{column: value}), row("H3")]
        report = import_file(session, write_csv(tmp_path / "numbers.csv", rows))
        assert [(e.row, e.column) for e in report.errors] == [(3, column)]
        assert reason in report.errors[0].reason
        assert orders(session) == 2

    def test_a_128_kb_csv_cell_is_a_row_error_not_a_lost_file(self, session: Session, tmp_path: Path) -> None:
        rows = [row("H1"), row("H2", item_title="长" * 128 * 1024), row("H3")]
        report = import_file(session, write_csv(tmp_path / "wide.csv", rows))
        assert [(e.row, e.column) for e in report.errors] == [(3, "item_title")]
        assert orders(session) == 2


def _xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    for values in rows:
        sheet.append(list(values.values()))
    workbook.save(path)
    return path


def _rewrite_sheet(path: Path, change: Callable[[bytes], bytes]) -> None:
    """Edit the first sheet's XML as a hand-made or hostile workbook would have it."""
    with zipfile.ZipFile(path) as source:
        members = [(item, source.read(item.filename)) for item in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item, data in members:
            if item.filename == "xl/worksheets/sheet1.xml":
                data = change(data)
            target.writestr(item.filename, data)


class TestXlsxLimits:
    def test_rows_past_the_declared_dimension_are_read(self, session: Session, tmp_path: Path) -> None:
        path = _xlsx(tmp_path / "dim.xlsx", [row("H1"), row("H2"), row("H3")])
        _rewrite_sheet(path, lambda xml: re.sub(rb'<dimension ref="[^"]+"', b'<dimension ref="A1:S2"', xml))
        report = import_file(session, path)
        assert (report.rows, report.created) == (3, 3)

    def test_a_small_file_holding_a_huge_cell_is_refused_naming_the_limit(
        self, session: Session, tmp_path: Path
    ) -> None:
        path = _xlsx(tmp_path / "bomb.xlsx", [row("H1", item_title="BOMB")])
        _rewrite_sheet(path, lambda xml: xml.replace(b"BOMB", b"A" * 64 * 1024 * 1024))
        assert path.stat().st_size < 1024 * 1024
        with pytest.raises(FileFormatError, match=f"{MAX_XLSX_RATIO}:1"):
            import_file(session, path)
        assert orders(session) == 0

    def test_a_workbook_larger_than_the_cap_when_inflated_is_refused(
        self, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(tables, "MAX_XLSX_UNCOMPRESSED_BYTES", 64 * 1024)
        path = _xlsx(tmp_path / "large.xlsx", [row(f"H{n}", item_title=f"商品{n}" * 20) for n in range(400)])
        with pytest.raises(FileFormatError, match="解压后超过 0.0625 MB 上限"):
            import_file(session, path)


class TestSchemaLimitsPerRow:
    @pytest.mark.parametrize(("column", "value"), [("quantity", "20000"), ("item_title", "商" * 300)])
    def test_a_line_past_a_schema_limit_is_a_row_error(
        self, session: Session, tmp_path: Path, column: str, value: str
    ) -> None:
        rows = [row("H1"), row("H2", **{column: value}), row("H3")]
        report = import_file(session, write_csv(tmp_path / "limits.csv", rows))
        assert [(e.row, e.column) for e in report.errors] == [(3, column)]
        assert orders(session) == 2
