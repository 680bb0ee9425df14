"""聊天导入 in the console: a header-less JDDC file previewed by column number, then imported."""

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.config import get_settings
from aftersales.conversations.models import ChatMessage
from tests.builders import make_shop
from tests.conversations.test_importer import JDDC_TSV

Headers = Callable[..., dict[str, str]]
BASE = "/console/qc/import"


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session) -> Path:
    monkeypatch.setattr(get_settings(), "upload_dir", tmp_path)
    make_shop(session, code="shop-chat")
    return tmp_path


def preview(client: TestClient, headers: dict[str, str]) -> Response:
    files = {"file": ("chats.tsv", JDDC_TSV.encode("utf-8"), "text/tab-separated-values")}
    form = {"mapping": "jddc", "shop": "shop-chat"}
    return client.post(f"{BASE}/preview", data=form, files=files, headers=headers)


def messages(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ChatMessage)) or 0


def test_a_headerless_file_is_previewed_from_its_first_line(
    client: TestClient, auth_headers: Headers
) -> None:
    page = preview(client, auth_headers(Role.SUPERVISOR))
    sample = page.text.split('data-testid="import-sample"')[1].split("</table>")[0]
    assert "我的快递到哪了" in sample


def test_the_dry_run_counts_the_sessions_and_stores_nothing(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    page = preview(client, auth_headers(Role.SUPERVISOR))
    assert "<strong>2</strong><br>已质检会话" in page.text
    assert messages(session) == 0


def test_confirming_imports_every_message(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    headers = auth_headers(Role.SUPERVISOR)
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview(client, headers).text)
    assert token
    form = {"token": token.group(1), "name": "chats.tsv", "mapping": "jddc", "shop": "shop-chat"}
    client.post(BASE, data=form, headers=headers)
    assert messages(session) == 4
