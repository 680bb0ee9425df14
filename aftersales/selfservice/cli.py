"""``aftersales selfservice``: train the answer bot, seed the quick-reply library and the default
FAQ, make portal links."""

from typing import Annotated

import typer

app = typer.Typer(name="selfservice", help="自助售后、机器人应答与快捷话术", no_args_is_help=True)


@app.command("train-bot")
def train_bot(
    show_mistakes: Annotated[bool, typer.Option(help="列出留出集中识别错误的问题")] = False,
) -> None:
    """训练意图分类器并打印留出集(25%)准确率,模型写入包内 bot_model.joblib。"""
    from aftersales.selfservice import intents

    evaluation = intents.evaluate()
    typer.echo(
        f"留出集准确率: {evaluation.accuracy:.1%}"
        f"(训练 {evaluation.train_size} 条,留出 {evaluation.test_size} 条,"
        f"{len(intents.load_dataset())} 个意图)"
    )
    if show_mistakes:
        for text, expected, predicted in evaluation.mistakes:
            typer.echo(f"  {text}: 应为 {expected},识别为 {predicted}")
    intents.train()
    typer.echo(f"模型已写入 {intents.MODEL_FILE}(使用全部样本训练)")


@app.command("seed-replies")
def seed_replies() -> None:
    """写入默认快捷话术库(已存在的快捷键保持不变)。"""
    from aftersales.db import unit_of_work
    from aftersales.selfservice.quickreplies import seed_defaults

    with unit_of_work() as session:
        added = seed_defaults(session)
    typer.echo(f"新增 {added} 条快捷话术")


@app.command("seed-faq")
def seed_faq() -> None:
    """为随包数据中尚无默认回答的问题类型写入默认 FAQ 回答,并为没有知识库条目的回答建条目(已有的保持不变)。"""
    from aftersales.db import unit_of_work
    from aftersales.selfservice.faq import seed_defaults
    from aftersales.selfservice.knowledge import seed_from_faq

    with unit_of_work() as session:
        added = seed_defaults(session)
        articles = seed_from_faq(session)
    typer.echo(f"新增 {added} 条默认回答,{articles} 条知识库条目")


@app.command("link")
def link(order_id: int) -> None:
    """打印某订单的自助售后签名链接(有效期见 AFTERSALES_SELFSERVICE_LINK_TTL_HOURS)。"""
    from aftersales.selfservice.access import portal_path
    from aftersales.selfservice.settings import get_selfservice_settings

    typer.echo(f"{get_selfservice_settings().public_base_url}{portal_path(order_id)}")
