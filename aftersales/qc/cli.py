"""``aftersales qc train``: refit the emotion models from the shipped data and print held-out figures."""

from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(name="qc", help="质检: 情绪模型训练、重新质检", no_args_is_help=True)


@app.command("train")
def train(
    output: Annotated[
        Path | None, typer.Option(help="评论/通用情绪模型文件输出路径(默认: 随包发布的模型文件)")
    ] = None,
    chat_output: Annotated[
        Path | None, typer.Option(help="对话情绪模型文件输出路径(默认: 随包发布的模型文件)")
    ] = None,
) -> None:
    """训练两个情绪模型(评论/通用; 真实京东客服对话),打印留出集指标并保存版本化模型文件。"""
    from aftersales.qc.chat_emotion import MODEL_PATH as CHAT_MODEL_PATH
    from aftersales.qc.chat_training import train as fit_chat
    from aftersales.qc.emotion import MODEL_PATH
    from aftersales.qc.training import train as fit

    output = output or MODEL_PATH
    chat_output = chat_output or CHAT_MODEL_PATH

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
    for line in chat_lines(fit_chat(chat_output)):
        typer.echo(line)
    typer.echo(f"已保存: {chat_output}")


def chat_lines(metrics: dict[str, Any]) -> list[str]:
    """The chat model's held-out figures, as printed by ``qc train`` and the benchmarks."""
    test, old, threat = metrics["test"], metrics["review_model_on_test"], metrics["risk"]
    risk_precision = "无(没有被标记的消息)" if threat["precision"] is None else f"{threat['precision']:.4f}"
    return [
        f"真实京东客服对话(人工标注,按会话留出 {test['messages']} 条顾客消息,"
        f"其中不满 {test['negatives']} 条):",
        f"  不满 精确率 {test['precision']:.4f}  召回率 {test['recall']:.4f}"
        f"(判为不满 {test['said_negative']} 条;阈值 {metrics['threshold']})",
        f"  真实不满消息的原因正确率 {test['cause_accuracy']:.4f}",
        f"  对照: 评论模型在同一留出集 精确率 {old['precision']:.4f}  召回率 {old['recall']:.4f}",
        f"风险(顾客本人的投诉/差评威胁)在全部 {threat['labelled']} 条标注消息上: 标记 {threat['flagged']} 条,"
        f"其中真实威胁 {threat['true_flags']} 条,精确率 {risk_precision}(标注威胁共 {threat['threats']} 条)",
    ]
