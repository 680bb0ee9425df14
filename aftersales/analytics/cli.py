"""``aftersales analytics …``: the 复盘 report to PDF/Excel, the forecast with its backtest, alerts."""

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from aftersales.analytics.scope import Scope
from aftersales.cli_groups import fail
from aftersales.db import unit_of_work

app = typer.Typer(name="analytics", help="数据分析:复盘报告、预测与排班、考核提醒", no_args_is_help=True)


def _scope(start: str, end: str) -> Scope:
    try:
        return Scope(date.fromisoformat(start), date.fromisoformat(end))
    except ValueError as exc:
        fail(f"日期有误: {exc}")
        raise


@app.command("report")
def report(
    start: Annotated[str, typer.Option(help="开始日期 YYYY-MM-DD(北京时间)")],
    end: Annotated[str, typer.Option(help="结束日期 YYYY-MM-DD(含)")],
    pdf: Annotated[Path | None, typer.Option(help="写出 PDF 文件")] = None,
    xlsx: Annotated[Path | None, typer.Option(help="写出 Excel 文件(每张表一个工作表)")] = None,
) -> None:
    """生成一段时间(一场大促)的复盘报告;列出各部分缺少的输入。"""
    from aftersales.analytics.report.exports import to_excel, to_pdf
    from aftersales.analytics.report.service import build_report

    with unit_of_work() as session:
        result = build_report(session, _scope(start, end))
    for section in result.sections:
        typer.echo(f"■ {section.title}")
        for line in section.findings:
            typer.echo(f"  {line}")
        for line in section.missing:
            typer.secho(f"  缺少: {line}", fg=typer.colors.YELLOW)
    if pdf:
        pdf.write_bytes(to_pdf(result))
        typer.echo(f"PDF 已写入 {pdf}")
    if xlsx:
        xlsx.write_bytes(to_excel(result))
        typer.echo(f"Excel 已写入 {xlsx}")


@app.command("forecast")
def forecast(
    start: Annotated[str, typer.Option(help="历史开始日期 YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="历史结束日期 YYYY-MM-DD(含)")],
    days: Annotated[int, typer.Option(min=1, max=14, help="预测天数")] = 3,
) -> None:
    """按小时预测咨询量,打印回测误差与下次大促的排班建议。"""
    from aftersales.analytics.forecast.service import forecast_and_staffing

    with unit_of_work() as session:
        result = forecast_and_staffing(session, _scope(start, end), horizon_days=days)
    for line in result.findings:
        typer.echo(line)
    for line in result.missing:
        typer.secho(f"缺少: {line}", fg=typer.colors.YELLOW)


@app.command("check-targets")
def check_targets(
    start: Annotated[str, typer.Option(help="开始日期 YYYY-MM-DD")],
    end: Annotated[str, typer.Option(help="结束日期 YYYY-MM-DD(含)")],
    level: Annotated[str, typer.Option(help="agent / group / shop / platform")] = "agent",
) -> None:
    """按考核值检查,低于考核值的客服或渠道提醒本人和主管(经由群机器人)。"""
    from aftersales.analytics import service

    scope = _scope(start, end)
    with unit_of_work() as session:
        alerts = service.check_targets(session, start=scope.start, end=scope.end, level=level)
        for alert in alerts:
            typer.echo(service.alert_text(alert))
    typer.echo(f"新提醒 {len(alerts)} 条")
