"""``aftersales import returns FILE``: return requests from a platform's after-sales export."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aftersales.cli_groups import fail, import_app
from aftersales.db import unit_of_work
from aftersales.kit.errors import AftersalesError
from aftersales.returns.importer import import_requests

console = Console()


@import_app.command("returns")
def import_returns(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件")],
    shop: Annotated[str | None, typer.Option(help="店铺编码(文件里没有店铺编码列时必填)")] = None,
    strict: Annotated[bool, typer.Option(help="有任何坏行则整批不导入")] = False,
) -> None:
    """导入退换货申请:每个申请自动建立或关联工单;坏行逐行报告,重复导入不会重复建单。"""
    try:
        with unit_of_work() as session:
            report = import_requests(session, file, shop_code=shop)
            if strict and report.errors:
                session.rollback()
                _print_errors(report.errors)
                fail(f"--strict: {len(report.errors)} 行有误,未导入任何数据")
    except AftersalesError as exc:
        fail(f"导入失败,未写入任何数据: {exc.message}")
    console.print(f"共 {report.rows} 行,入库 {report.stored} 行(含已存在的申请),有误 {len(report.errors)} 行")
    _print_errors(report.errors)


def _print_errors(errors: list[dict[str, object]]) -> None:
    if not errors:
        return
    table = Table("行号", "列", "原因", title="有误的行")
    for error in errors[:200]:
        table.add_row(str(error["row"]), str(error["column"]), str(error["reason"]))
    console.print(table)
