"""Formula injection: buyer-typed text such as ``=HYPERLINK(…)`` or ``+cmd|' /C calc'!A0`` must never
open as a live formula in an export, and the importer must not take it in."""

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from aftersales.analytics.report.exports import to_excel
from aftersales.analytics.report.service import Report
from aftersales.analytics.results import Analysis, DataTable
from aftersales.analytics.scope import Scope
from aftersales.kit import cells
from aftersales.kit.cells import CellError, export_cell
from aftersales.orders.exporter import COLUMNS, export_orders
from aftersales.orders.importer import ColumnMapping, OrderImporter
from tests.builders import make_customer, make_order, make_shop
from tests.orders.test_importer import row, write_csv

ATTACKS = [
    '=HYPERLINK("http://evil","点我")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
INERT = ["小王", "-5", "+86 139 1234 5678", "12.50", "-0.01", ""]


class TestExportCell:
    @pytest.mark.parametrize("value", ATTACKS)
    def test_formula_text_gets_an_apostrophe(self, value: str) -> None:
        assert export_cell(value) == "'" + value

    @pytest.mark.parametrize("value", INERT)
    def test_plain_text_and_signed_numbers_are_kept(self, value: str) -> None:
        assert export_cell(value) == value

    @pytest.mark.parametrize("value", [-5, -0.5, 3, None])
    def test_numbers_stay_numbers(self, value: object) -> None:
        assert export_cell(value) == value


def hostile_order(session: Session) -> None:
    customer = make_customer(session, source_id='=HYPERLINK("http://evil")')
    make_order(session, customer=customer, receiver_name="=1+1", address="+cmd|' /C calc'!A0")


class TestOrderExport:
    @pytest.mark.parametrize("reveal", [False, True])
    def test_no_csv_cell_starts_like_a_formula(self, session: Session, tmp_path: Path, reveal: bool) -> None:
        hostile_order(session)
        export_orders(session, tmp_path / "o.csv", reveal=reveal)
        with (tmp_path / "o.csv").open(encoding="utf-8-sig") as handle:
            data = next(csv.DictReader(handle))
        assert data["买家账号"] == '\'=HYPERLINK("http://evil")'
        assert not any(cells.looks_like_formula(v) for v in data.values())

    def test_a_masked_formula_is_not_left_as_equals_stars(self, session: Session, tmp_path: Path) -> None:
        hostile_order(session)
        export_orders(session, tmp_path / "o.csv", reveal=False)
        with (tmp_path / "o.csv").open(encoding="utf-8-sig") as handle:
            data = next(csv.DictReader(handle))
        assert data["收货人"] == "'=***"

    def test_no_xlsx_cell_is_a_formula(self, session: Session, tmp_path: Path) -> None:
        hostile_order(session)
        export_orders(session, tmp_path / "o.xlsx", reveal=True)
        sheet = load_workbook(tmp_path / "o.xlsx").active
        assert sheet is not None
        values = next(sheet.iter_rows(min_row=2, max_row=2))
        assert all(c.data_type != "f" for c in values)
        by_column = dict(zip(COLUMNS, (c.value for c in values), strict=True))
        assert by_column["address"] == "'+cmd|' /C calc'!A0"


class TestReportWorkbook:
    def test_table_cells_are_escaped_and_numbers_stay_numbers(self) -> None:
        table = DataTable("t", "表", ["SKU", "差额"], rows=[['=HYPERLINK("http://evil")', -12], ["@A1", 3.5]])
        report = Report(Scope(date(2026, 11, 1), date(2026, 11, 2)), [Analysis("a", "分析", tables=[table])])
        sheet = load_workbook(io.BytesIO(to_excel(report)))["表"]
        assert [[c.value for c in r] for r in sheet.iter_rows(min_row=3)] == [
            ['\'=HYPERLINK("http://evil")', -12],
            ["'@A1", 3.5],
        ]
        assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


class TestImport:
    @pytest.mark.parametrize("value", ATTACKS)
    def test_the_cell_parser_refuses_formula_text(self, value: str) -> None:
        with pytest.raises(CellError, match="公式"):
            cells.text(value.strip() or value)

    @pytest.mark.parametrize("value", ["-_-", "@小王 在吗", "-5", "+86 139 1234 5678"])
    def test_chat_text_and_numbers_that_merely_start_with_a_sign_are_kept(self, value: str) -> None:
        assert cells.text(value) == value

    def test_a_dde_payload_is_a_row_error_and_the_good_rows_are_stored(
        self, session: Session, tmp_path: Path
    ) -> None:
        make_shop(session, code="shop-formula")
        path = write_csv(tmp_path / "f.csv", [row("F1", buyer_nick="+cmd|' /C calc'!A0"), row("F2")])
        report = OrderImporter(session, ColumnMapping.load("generic"), shop_code="shop-formula").run(path)
        assert report.created == 1
        assert [(e.row, e.column) for e in report.errors] == [(2, "buyer_nick")]
