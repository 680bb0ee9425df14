"""``aftersales import reviews FILE``: a shop's review export, with a progress bar."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from aftersales.cli_groups import fail, import_app
from aftersales.db import unit_of_work
from aftersales.kit.errors import AftersalesError
from aftersales.reviews.importer import ReviewImporter, ReviewImportReport

console = Console()


@import_app.command("reviews")
def import_reviews(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件")],
    shop: Annotated[str | None, typer.Option(help="店铺编码(表格里没有店铺列时必填)")] = None,
    strict: Annotated[bool, typer.Option(help="有任何坏行则整批不导入")] = False,
) -> None:
    """导入商品评价: 分拣好/中/差评与五星差评,生成回复草稿,中差评开工单给主管;重复导入不会重复入库。"""
    try:
        with unit_of_work() as session, _progress() as progress:
            task = progress.add_task("导入评价", total=None)
            report = ReviewImporter(
                session, shop_code=shop, on_progress=lambda n: progress.advance(task, n)
            ).run(file)
            if strict and report.errors:
                _print_errors(report)
                session.rollback()
                fail(f"--strict: {len(report.errors)} 行有误,未导入任何数据")
    except AftersalesError as exc:
        fail(f"导入失败,未写入任何数据: {exc.message}")
    if report.errors:
        _print_errors(report)
    summary = f"读取 {report.rows} 行,入库评价 {report.stored} 条(新增 {report.created})"
    console.print(f"{summary},有误 {len(report.errors)} 行")


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console)


def _print_errors(report: ReviewImportReport) -> None:
    table = Table("行号", "列", "原因", title=f"有误的行 ({len(report.errors)})")
    for error in report.errors[:200]:
        table.add_row(str(error.row), error.column, error.reason)
    console.print(table)
