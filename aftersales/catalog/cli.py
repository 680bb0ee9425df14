"""``aftersales shop create CODE NAME --platform jd``: a shop to import orders and chats into."""

from typing import Annotated

import typer
from pydantic import ValidationError

from aftersales.catalog import service
from aftersales.catalog.models import PLATFORM_LABELS, Platform
from aftersales.catalog.schemas import ShopCreate
from aftersales.cli_groups import fail
from aftersales.db import unit_of_work
from aftersales.kit.errors import AftersalesError

app = typer.Typer(name="shop", help="店铺: 新建店铺(导入订单、聊天记录前需要)", no_args_is_help=True)


@app.command("create")
def create(
    code: Annotated[str, typer.Argument(help="店铺编码(导入时用 --shop 指定)")],
    name: Annotated[str, typer.Argument(help="店铺名称")],
    platform: Annotated[
        Platform, typer.Option(help="平台: " + ", ".join(f"{p.value}={PLATFORM_LABELS[p]}" for p in Platform))
    ],
) -> None:
    """新建一个店铺;编码已存在时报错,不做任何修改。"""
    try:
        data = ShopCreate(code=code, name=name, platform=platform)
        with unit_of_work() as session:
            shop_id = service.create_shop(session, data=data).id
    except ValidationError as exc:
        fail(f"店铺信息有误: {exc.errors()[0]['msg']}")
    except AftersalesError as exc:
        fail(exc.message)
    typer.echo(f"已创建店铺 {name}(编码 {code},{PLATFORM_LABELS[platform]},编号 {shop_id})")
