"""``aftersales connect``: add a provider account, list accounts with their health, test one.

Secrets are asked for with a hidden prompt when not given, so they stay out of shell history;
nothing here prints them back (only the masked hint).
"""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from aftersales.cli_groups import fail
from aftersales.connectors import platform_sync, registered, service  # noqa: F401  (registered)
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount
from aftersales.db import unit_of_work
from aftersales.kit.errors import AftersalesError
from aftersales.kit.time import format_local

app = typer.Typer(
    name="connect",
    help="接入外部服务: 快递100、阿里云短信、淘宝/天猫、抖店、拼多多、聚水潭、旺店通、顺丰丰桥、中通",
    no_args_is_help=True,
)
console = Console()
PROVIDERS_HELP = "服务商: " + ", ".join(f"{spec.name}({spec.label})" for spec in service.providers())


def _pairs(values: list[str], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name:
            fail(f"{what} 应写成 名称=值: {value}")
        pairs[name.strip()] = text.strip()
    return pairs


@app.command("add")
def add(
    provider: Annotated[str, typer.Argument(help=PROVIDERS_HELP)],
    shop: Annotated[str | None, typer.Option(help="店铺编码;不填则对所有店铺生效")] = None,
    credential: Annotated[
        list[str], typer.Option("--credential", "-c", help="凭证 名称=值(不填则提示输入)")
    ] = [],  # noqa: B006
    setting: Annotated[list[str], typer.Option("--setting", "-s", help="设置 名称=值")] = [],  # noqa: B006
    sandbox: Annotated[bool, typer.Option(help="使用服务商的沙箱环境")] = False,
) -> None:
    """录入(或替换)一个连接的凭证;凭证用 AFTERSALES_SECRET_KEY 加密保存。"""
    given = _pairs(credential, "--credential")
    try:
        spec = service.provider_spec(provider)
        for name in spec.credentials:
            if not given.get(name):
                given[name] = typer.prompt(f"{spec.label} {name}", hide_input=True)
        with unit_of_work() as session:
            account = service.save_account(
                session,
                provider=provider,
                shop_code=shop,
                credentials=given,
                settings=_pairs(setting, "--setting"),
                sandbox=sandbox,
            )
            hint = account.secret_hint
    except AftersalesError as exc:
        fail(exc.message)
    console.print(f"已保存 {spec.label} 连接 ({hint})。用 aftersales connect test {provider} 验证。")


@app.command("list")
def list_accounts() -> None:
    """每个连接的状态: 最近成功、最近错误、成功/失败次数。"""
    with unit_of_work() as session:
        rows = [_row(account) for account in service.list_accounts(session)]
    table = Table("服务商", "店铺", "环境", "凭证", "最近成功", "最近错误", "成功/失败")
    for row in rows:
        table.add_row(*row)
    console.print(table if rows else "还没有任何连接。")


def _row(account: ConnectorAccount) -> tuple[str, ...]:
    spec = service.provider_spec(account.provider)
    error = f"{format_local(account.last_error_at)} {account.last_error}" if account.last_error_at else "—"
    return (
        spec.label,
        account.scope if account.shop_id else "全部店铺",
        "沙箱" if account.sandbox else "生产",
        account.secret_hint,
        format_local(account.last_success_at) if account.last_success_at else "—",
        error,
        f"{account.success_count}/{account.error_count}",
    )


@app.command("test")
def check(
    provider: Annotated[str, typer.Argument(help=PROVIDERS_HELP)],
    shop: Annotated[str | None, typer.Option(help="店铺编码;不填则测试全局连接")] = None,
) -> None:
    """测试连接: 用保存的凭证向服务商发一个真实请求。"""
    try:
        with unit_of_work() as session:
            account = service.find_account(session, provider=provider, shop_code=shop)
            try:
                result = service.test_connection(session, account=account)
            except ProviderError as exc:
                session.commit()  # keep the failure in the health record
                fail(f"连接失败: {exc.message}")
    except AftersalesError as exc:
        fail(exc.message)
    console.print(f"连接正常: {result}")


@app.command("backfill")
def backfill(
    provider: Annotated[str, typer.Argument(help="平台: taobao, douyin, pdd")],
    shop: Annotated[str, typer.Option(help="店铺编码")],
    days: Annotated[int, typer.Option(min=1, max=90, help="补拉最近 N 天")] = 7,
) -> None:
    """补拉: 把订单与退款的同步起点移回 N 天前,并立即同步一次。"""
    if not platform_sync.is_platform(provider):
        fail(f"只有平台连接可以补拉(taobao, douyin, pdd),不是 {provider}")
    try:
        with unit_of_work() as session:
            account = service.find_account(session, provider=provider, shop_code=shop)
            platform_sync.backfill(session, account=account, days=days)
            counts = platform_sync.sync_account(session, account=account)
            error = account.last_error if counts["failed"] else None
    except AftersalesError as exc:
        fail(exc.message)
    if error:
        fail(f"同步暂停,稍后自动重试: {error}")
    console.print(f"已同步: 订单 {counts['trades']} 笔,退款 {counts['refunds']} 笔")
