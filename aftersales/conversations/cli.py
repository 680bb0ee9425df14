"""``aftersales import chats FILE --mapping generic``: chat exports (JSON lines, CSV, TSV, XLSX)."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aftersales.cli_groups import fail, import_app
from aftersales.conversations.importer import ChatImporter, ChatImportReport, ChatMapping
from aftersales.db import unit_of_work
from aftersales.kit.errors import AftersalesError

console = Console()


@import_app.command("chats")
def import_chats(
    file: Annotated[Path, typer.Argument(help="JSON lines (.jsonl)、CSV、TSV 或 XLSX 文件")],
    mapping: Annotated[str, typer.Option(help="列映射: generic, qianniu, jddc 或 YAML 文件路径")] = "generic",
    shop: Annotated[str | None, typer.Option(help="店铺编码(文件里没有店铺列时必填)")] = None,
    strict: Annotated[bool, typer.Option(help="有任何坏行则整批不导入")] = False,
) -> None:
    """导入聊天记录并实时质检: 坏行逐行报告,重复导入同一文件不会产生重复消息。"""
    try:
        with unit_of_work() as session:
            report = ChatImporter(session, ChatMapping.load(mapping), shop_code=shop).run(file)
            if strict and report.errors:
                _print_errors(report)
                session.rollback()
                fail(f"--strict: {len(report.errors)} 行有误,未导入任何数据")
    except AftersalesError as exc:
        fail(f"导入失败,未写入任何数据: {exc.message}")
    if report.errors:
        _print_errors(report)
    console.print(
        f"读取 {report.rows} 行,新增消息 {report.created} 条;存有消息的会话 {report.sessions} 个(已质检)"
    )
    console.print(f"有误 {len(report.errors)} 行")


def _print_errors(report: ChatImportReport) -> None:
    table = Table("行号", "列", "原因", title=f"有误的行 ({len(report.errors)})")
    for error in report.errors[:200]:
        table.add_row(str(error.row), error.column, error.reason)
    console.print(table)
