"""``aftersales connect``: add credentials, list with health (secrets never printed), test."""

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from aftersales.cli import app
from tests.builders import make_shop
from tests.builders.connectors import DOUYIN_CREDENTIALS, KUAIDI100_CREDENTIALS, make_platform_account
from tests.connectors import fake_douyin
from tests.connectors.fake_douyin import FakeDoudian
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


def test_backfill_reads_a_douyin_shop_now(session: Session) -> None:
    shop = make_shop(session)
    fake = FakeDoudian(*DOUYIN_CREDENTIALS.values())
    fake.orders = [fake_douyin.order("6900000000000099")]
    with provider_server(fake) as running:
        make_platform_account(session, provider="douyin", endpoint=running.url, shop=shop)
        result = CliRunner().invoke(
            app, ["connect", "backfill", "douyin", "--shop", shop.code, "--days", "2"]
        )
    assert result.exit_code == 0, result.output
    assert "已同步: 订单 1 笔" in result.output


def test_backfill_refuses_a_connection_that_is_not_a_platform(session: Session) -> None:
    result = CliRunner().invoke(app, ["connect", "backfill", "kuaidi100", "--shop", "any"])
    assert result.exit_code == 1
    assert "只有平台连接可以补拉" in result.output
