"""The 连接 page: admins add credentials (never shown back), see health and callback addresses,
and 测试连接 makes a real call."""

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.connectors.models import ConnectorAccount
from tests.builders import make_shop
from tests.builders.connectors import KUAIDI100_CREDENTIALS, make_kuaidi100_account, make_platform_account
from tests.connectors.fake_kuaidi100 import FakeKuaidi100
from tests.connectors.provider_server import ProviderServer

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def fake() -> FakeKuaidi100:
    return FakeKuaidi100(key=KUAIDI100_CREDENTIALS["key"], customer=KUAIDI100_CREDENTIALS["customer"])


def test_an_admin_adds_credentials_that_are_never_shown_back(
    client: TestClient, auth_headers: Headers, server: ProviderServer
) -> None:
    headers = auth_headers(Role.ADMIN)
    form = {f"cred_{name}": value for name, value in KUAIDI100_CREDENTIALS.items()}
    form |= {"setting_callback_base": "https://aftersales.example.com", "setting_endpoint": server.url}
    saved = client.post("/console/connectors/kuaidi100", data=form, headers=headers, follow_redirects=False)
    page = client.get("/console/connectors", headers=headers).text
    assert saved.status_code == 303
    assert "****6789" in page
    assert "https://aftersales.example.com/api/connectors/kuaidi100/" in page
    assert not any(secret in page for secret in KUAIDI100_CREDENTIALS.values())


def test_a_missing_credential_is_shown_on_the_page(client: TestClient, auth_headers: Headers) -> None:
    response = client.post(
        "/console/connectors/kuaidi100", data={"cred_key": "k"}, headers=auth_headers(Role.ADMIN)
    )
    assert response.status_code == 422
    assert "缺少凭证字段: customer, salt" in response.text


def test_the_test_button_reports_the_providers_answer(
    session: Session, client: TestClient, auth_headers: Headers, server: ProviderServer, fake: FakeKuaidi100
) -> None:
    account: ConnectorAccount = make_kuaidi100_account(session, endpoint=server.url)
    fake.key = "rotated"
    page = client.post(
        f"/console/connectors/accounts/{account.id}/test", headers=auth_headers(Role.ADMIN)
    ).text
    assert "快递100 测试连接失败" in page
    assert "503 验证签名失败" in page
    session.refresh(account)
    assert account.error_count == 1


def test_agents_cannot_open_the_page(client: TestClient, auth_headers: Headers) -> None:
    assert client.get("/console/connectors", headers=auth_headers(Role.SUPERVISOR)).status_code == 403


def test_every_connector_has_its_form_with_a_chinese_name_and_purpose(
    client: TestClient, auth_headers: Headers
) -> None:
    page = client.get("/console/connectors", headers=auth_headers(Role.ADMIN)).text
    for heading in (
        "抖店 连接(订单与售后增量同步,消息推送)",
        "拼多多 连接(订单与售后增量同步)",
        "聚水潭 ERP 连接(补发单推送与回传运单号)",
        "顺丰丰桥 连接(快件拦截退回与上门取件)",
        "旺店通 ERP 连接(补发单推送与回传运单号)",
        "中通快递 连接(快件拦截退回)",
    ):
        assert heading in page
    for provider in ("douyin", "pdd", "jushuitan", "sf_express", "wangdiantong", "zto"):
        assert f'data-testid="form-{provider}"' in page


def test_a_platform_account_shows_its_sync_and_backfill(
    session: Session, client: TestClient, auth_headers: Headers
) -> None:
    account = make_platform_account(
        session, provider="douyin", endpoint="http://127.0.0.1:9", shop=make_shop(session)
    )
    page = client.get("/console/connectors", headers=auth_headers(Role.ADMIN)).text
    assert "尚未同步" in page
    assert f"/console/connectors/accounts/{account.id}/backfill" in page


def test_a_douyin_account_shows_the_push_address_to_register(
    session: Session, client: TestClient, auth_headers: Headers
) -> None:
    account = make_platform_account(
        session,
        provider="douyin",
        endpoint="http://127.0.0.1:9",
        shop=make_shop(session),
        callback_base="https://aftersales.example.com/",
    )
    page = client.get("/console/connectors", headers=auth_headers(Role.ADMIN)).text
    assert f"https://aftersales.example.com/api/connectors/douyin/{account.id}/push" in page
