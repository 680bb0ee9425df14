from typing import Annotated

import typer

from aftersales.auth.models import Role
from aftersales.auth.service import create_user
from aftersales.cli_groups import fail
from aftersales.db import unit_of_work
from aftersales.kit.errors import AftersalesError

app = typer.Typer(name="user", help="用户与角色", no_args_is_help=True)


@app.command("create")
def create(
    username: str,
    role: Annotated[Role, typer.Option(help="agent / supervisor / admin")],
    display_name: Annotated[str | None, typer.Option(help="显示名")] = None,
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)] = "",
) -> None:
    """创建用户。"""
    if len(password) < 8:
        fail("密码至少 8 位")
    try:
        with unit_of_work() as session:
            user = create_user(
                session,
                username=username,
                display_name=display_name or username,
                role=role,
                password=password,
            )
    except AftersalesError as exc:
        fail(exc.message)
    typer.echo(f"已创建用户 {user.username}({user.role.label})")
