"""The root command lists the domains' groups without importing them, and lists them exactly as
the plain, eagerly built command line does."""

import subprocess
import sys
from pathlib import Path

import pytest
import typer
from typer import _click as click
from typer.testing import CliRunner

from aftersales.cli import app, eager_app

ROOT = Path(__file__).resolve().parents[1]


def _command_paths(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    if isinstance(command, typer.core.TyperGroup):
        for name, sub in command.commands.items():
            paths += _command_paths(sub, (*path, name))
    return paths


def _fresh_interpreter(code: str) -> str:
    prelude = "import sys\nfrom typer.testing import CliRunner\nfrom aftersales.cli import app\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


class TestLazyEqualsEager:
    @pytest.mark.parametrize("path", _command_paths(typer.main.get_command(eager_app())), ids=" ".join)
    def test_help_page_is_the_same(self, path: tuple[str, ...]) -> None:
        lazy = CliRunner().invoke(app, [*path, "--help"], terminal_width=100)
        eager = CliRunner().invoke(eager_app(), [*path, "--help"], terminal_width=100)
        assert (lazy.exit_code, lazy.output) == (eager.exit_code, eager.output)


def test_help_imports_no_database_or_web_library() -> None:
    loaded = _fresh_interpreter(
        "CliRunner().invoke(app, ['--help'])\n"
        "print(sorted(m for m in ('sqlalchemy', 'fastapi', 'aftersales.orders.models') if m in sys.modules))"
    )
    assert loaded == "[]"


def test_a_command_runs_with_every_domains_event_handlers_subscribed() -> None:
    subscribed = _fresh_interpreter(
        "CliRunner().invoke(app, ['webhooks', 'secret', 'kuaidi100'])\n"
        "print('aftersales.logistics.handlers' in sys.modules, 'aftersales.qc.handlers' in sys.modules)"
    )
    assert subscribed == "True True"
