"""``aftersales import orders FILE --mapping taobao``: a shop's own export, with a progress bar."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from aftersales.audit.service import authorize_order_export
from aftersales.catalog.service import shop_by_code
from aftersales.cli_groups import export_app, fail, import_app
from aftersales.db import unit_of_work
from aftersales.kit.errors import AftersalesError
from aftersales.orders.exporter import export_orders
from aftersales.orders.importer import ColumnMapping, ImportReport, OrderImporter

console = Console()


@import_app.command("orders")
def import_orders(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件")],
    mapping: Annotated[
        str, typer.Option(help="列映射: taobao, jd, douyin, pdd, generic 或 YAML 文件路径")
    ] = "taobao",
    shop: Annotated[str | None, typer.Option(help="店铺编码(映射里没有店铺列时必填)")] = None,
    strict: Annotated[bool, typer.Option(help="有任何坏行则整批不导入")] = False,
) -> None:
    """导入订单: 坏行逐行报告(行号、列、原因),好行照常入库;重复导入同一文件不会产生重复数据。"""
    try:
        with unit_of_work() as session, _progress() as progress:
            task = progress.add_task("导入订单", total=None)
            importer = OrderImporter(
                session,
                ColumnMapping.load(mapping),
                shop_code=shop,
                on_progress=lambda n: progress.advance(task, n),
            )
            report = importer.run(file)
            if strict and report.errors:
                _print_errors(report)
                session.rollback()
                fail(f"--strict: {len(report.errors)} 行有误,未导入任何数据")
    except AftersalesError as exc:
        fail(f"导入失败,未写入任何数据: {exc.message}")
    _print_summary(report)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
    )


def _print_errors(report: ImportReport) -> None:
    table = Table("行号", "列", "原因", title=f"有误的行 ({len(report.errors)})")
    for error in report.errors[:200]:
        table.add_row(str(error.row), error.column, error.reason)
    console.print(table)
    if len(report.errors) > 200:
        console.print(f"…… 另有 {len(report.errors) - 200} 行有误")


def _print_summary(report: ImportReport) -> None:
    if report.errors:
        _print_errors(report)
    console.print(
        f"读取 {report.rows} 行,入库订单 {report.orders} 个(新增 {report.created}),"
        f"新增包裹 {report.shipments} 个,有误 {len(report.errors)} 行"
    )


@export_app.command("orders")
def export_orders_command(
    file: Annotated[Path, typer.Argument(help="输出文件 .csv 或 .xlsx")],
    shop: Annotated[str | None, typer.Option(help="只导出该店铺(编码)")] = None,
    reveal_pii: Annotated[
        bool, typer.Option(help="导出完整手机号与地址(需 --as 管理员与 --reason,写入审计日志)")
    ] = False,
    acting_user: Annotated[str | None, typer.Option("--as", help="执行导出的管理员用户名")] = None,
    reason: Annotated[str, typer.Option(help="导出完整联系方式的原因(记入审计日志)")] = "",
) -> None:
    """导出订单(每个商品一行,通用格式,可用 --mapping generic 重新导入);手机号与地址默认脱敏。"""
    actor = acting_user if reveal_pii else None
    reveal = actor is not None
    if reveal_pii and not reveal:
        console.print("未指定 --as 管理员用户名: 手机号与地址仍按脱敏导出")
    if reveal and not reason.strip():
        fail("导出完整手机号与地址需要 --reason 说明原因")
    try:
        with unit_of_work() as session:
            shop_id = shop_by_code(session, shop).id if shop else None
            if actor is not None:
                authorize_order_export(session, username=actor, shop_id=shop_id, reason=reason)
            count = export_orders(session, file, reveal=reveal, shop_id=shop_id)
    except AftersalesError as exc:
        fail(exc.message)
    console.print(f"已导出 {count} 行到 {file}" + ("(已记入审计日志)" if reveal else "(手机号与地址已脱敏)"))
