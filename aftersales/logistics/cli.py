"""``aftersales import restricted-regions FILE`` and the ``aftersales logistics`` commands."""

from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aftersales.cli_groups import fail, import_app
from aftersales.db import unit_of_work
from aftersales.kit.errors import AftersalesError
from aftersales.kit.time import utcnow
from aftersales.logistics import intercepts, regions, service
from aftersales.logistics.defaults import ensure_defaults
from aftersales.logistics.models import AnomalyKind
from aftersales.orders.couriers import courier_name

console = Console()
app = typer.Typer(name="logistics", help="物流跟单: 异常巡检、停发地区、退款拦截", no_args_is_help=True)


@import_app.command("restricted-regions")
def import_restricted_regions(file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件")]) -> None:
    """导入停发地区(列: 省份、城市、区县、快递公司、停发原因、开始时间、结束时间);
    重复导入按 地区+快递 更新,不会重复;坏行逐行报告,好行照常入库。"""
    try:
        with unit_of_work() as session:
            report = regions.import_regions(session, file)
            held = regions.flag_orders(session, now=utcnow())
    except AftersalesError as exc:
        fail(f"导入失败,未写入任何数据: {exc.message}")
        return
    if report.errors:
        table = Table("行号", "列", "原因", title=f"有误的行 ({len(report.errors)})")
        for number, column, reason in report.errors:
            table.add_row(str(number), column, reason)
        console.print(table)
    console.print(
        f"新增 {report.created} 个、更新 {report.updated} 个停发地区,有误 {len(report.errors)} 行;"
        f"新标记受影响订单 {held} 个"
    )


@app.command("scan")
def scan(days: Annotated[int, typer.Option(help="巡检最近几天发货的包裹")] = 20) -> None:
    """立即巡检全部规则,并为新发现的异常建工单、通知买家。"""
    with unit_of_work() as session:
        ensure_defaults(session)
        counts = service.scan(session, window=timedelta(days=days))
        follow = service.follow_up(session, limit=100_000)
        notices = regions.notify_holds(session)
    for kind in AnomalyKind:
        console.print(f"{kind.label}: {counts.get(kind.value, 0)}")
    sent = follow["messages"] + notices
    console.print(f"已解除 {counts['resolved']};新建跟单 {follow['followed_up']},买家通知 {sent}")


@app.command("intercept-stats")
def intercept_stats() -> None:
    """拦截统计: 申请数、各快递成功率、挽回货值、退款到发起拦截的时长。"""
    with unit_of_work() as session:
        stats = intercepts.stats(session)
    table = Table("快递", "申请", "成功", "失败", "处理中", "成功率", "挽回货值(元)")
    for row in stats.by_courier:
        rate = f"{row.success_rate:.0%}" if row.success_rate is not None else "—"
        table.add_row(
            courier_name(row.courier),
            str(row.requests),
            str(row.succeeded),
            str(row.failed),
            str(row.pending),
            rate,
            f"{row.saved_fen / 100:,.2f}",
        )
    console.print(table)
    if stats.median_seconds_to_request is not None:
        console.print(f"退款申请到发起拦截: 中位数 {stats.median_seconds_to_request:.0f} 秒")
