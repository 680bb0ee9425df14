"""``aftersales connect``: add credentials, list with health (secrets never printed), test."""

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from aftersales.cli import app
from tests.builders.connectors import KUAIDI100_CREDENTIALS
from tests.connectors.fake_kuaidi100 import FakeKuaidi100
from tests.connectors.provider_server import ProviderServer, provider_server


@pytest.fixture
def server() -> Iterator[ProviderServer]:
    fake = FakeKuaidi100(key=KUAIDI100_CREDENTIALS["key"], customer=KUAIDI100_CREDENTIALS["customer"])
    with provider_server(fake) as running:
        yield running


def add(server: ProviderServer, *credentials: str) -> str:
    args = ["connect", "add", "kuaidi100", *credentials]
    args += ["-s", f"endpoint={server.url}", "-s", "callback_base=https://aftersales.example.com"]
    return CliRunner().invoke(app, args, input="\n".join(KUAIDI100_CREDENTIALS.values()) + "\n").output


def test_prompts_for_the_credentials_and_never_prints_them(session: Session, server: ProviderServer) -> None:
    output = add(server)
    listing = CliRunner().invoke(app, ["connect", "list"]).output
    assert "已保存 快递100 连接" in output
    assert "****6789" in listing
    assert not any(secret in output + listing for secret in KUAIDI100_CREDENTIALS.values())


def test_the_test_command_makes_a_real_call(session: Session, server: ProviderServer) -> None:
    add(server)
    result = CliRunner().invoke(app, ["connect", "test", "kuaidi100"])
    assert result.exit_code == 0, result.output
    assert "连接正常" in result.output
    assert server.calls[-1].path == "/poll/query.do"


def test_wrong_credentials_fail_the_test(session: Session, server: ProviderServer) -> None:
    customer, salt = KUAIDI100_CREDENTIALS["customer"], KUAIDI100_CREDENTIALS["salt"]
    add(server, "-c", "key=wrong-key-000000", "-c", f"customer={customer}", "-c", f"salt={salt}")
    result = CliRunner().invoke(app, ["connect", "test", "kuaidi100"])
    assert result.exit_code == 1
    assert "503" in result.output
