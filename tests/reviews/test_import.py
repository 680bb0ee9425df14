"""``aftersales import reviews FILE``: CSV and XLSX exports, bad rows reported, re-import a no-op."""

import csv
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from aftersales.catalog.models import Shop
from aftersales.cli import app
from aftersales.kit.tables import FileFormatError
from aftersales.reviews.importer import ReviewImporter
from aftersales.reviews.models import Review, Triage
from tests.builders import make_shop

HEADER = ["评价ID", "订单号", "商品编码", "买家昵称", "评分", "评价内容", "晒图数", "评价时间"]


ROWS = [
    ["P1", "T1", "SKU-A", "买家甲", "5", "质量很好,物流很快", "2", "2026-11-13 10:00:00"],
    ["P2", "T2", "SKU-A", "买家乙", "1", "用了两天就坏了", "0", "2026-11-13 11:00:00"],
    ["P3", "T3", "SKU-A", "买家丙", "七", "还行", "0", "2026-11-13 12:00:00"],
]


def _csv(path: Path, rows: list[list[str]] = ROWS) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _count(session: Session, shop: Shop) -> int:
    return session.scalar(select(func.count()).select_from(Review).where(Review.shop_id == shop.id)) or 0


def test_good_rows_are_stored_and_the_bad_row_is_reported_with_its_column(
    session: Session, tmp_path: Path
) -> None:
    shop = make_shop(session)
    report = ReviewImporter(session, shop_code=shop.code).run(_csv(tmp_path / "r.csv", ROWS))
    assert (report.stored, [(e.row, e.column) for e in report.errors]) == (2, [(4, "评分")])


def test_importing_the_same_file_twice_changes_nothing(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session)
    path = _csv(tmp_path / "r.csv", ROWS)
    ReviewImporter(session, shop_code=shop.code).run(path)
    report = ReviewImporter(session, shop_code=shop.code).run(path)
    assert (report.created, _count(session, shop)) == (0, 2)


def test_imported_reviews_are_triaged(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session)
    ReviewImporter(session, shop_code=shop.code).run(_csv(tmp_path / "r.csv", ROWS))
    triage = session.scalar(select(Review.triage).where(Review.shop_id == shop.id, Review.source_id == "P2"))
    assert triage == Triage.NEGATIVE


def test_xlsx_exports_are_read(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in ROWS[:2]:
        sheet.append(row)
    book.save(tmp_path / "r.xlsx")
    assert ReviewImporter(session, shop_code=shop.code).run(tmp_path / "r.xlsx").stored == 2


def test_a_file_without_the_stars_column_is_refused_before_storing(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session)
    path = tmp_path / "bad.csv"
    path.write_text("评价ID,评价时间\nP1,2026-11-13 10:00:00\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match="评分"):
        ReviewImporter(session, shop_code=shop.code).run(path)


def test_the_command_prints_a_summary(session: Session, tmp_path: Path) -> None:
    shop = make_shop(session)
    session.commit()
    result = CliRunner().invoke(
        app, ["import", "reviews", str(_csv(tmp_path / "r.csv", ROWS)), "--shop", shop.code]
    )
    assert (result.exit_code, "入库评价 2 条" in result.stdout) == (0, True)
