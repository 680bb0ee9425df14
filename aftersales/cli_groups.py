"""Shared Typer groups that several domains add commands to (``import orders``, ``import chats``…)."""

import typer

import_app = typer.Typer(help="导入平台导出的表格 (CSV/XLSX)", no_args_is_help=True)
export_app = typer.Typer(help="导出为 Excel/CSV", no_args_is_help=True)


def fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)
