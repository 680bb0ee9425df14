"""聊天导入 in the console: a header-less JDDC file previewed by column number, then imported."""

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.conversations.models import ChatMessage
from tests.builders import make_shop
from tests.conversations.test_importer import JDDC_TSV
from tests.web.imports_support import confirm, keep_uploads_in, section, upload_preview

Headers = Callable[..., dict[str, str]]
BASE = "/console/qc/import"


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session) -> Path:
    make_shop(session, code="shop-chat")
    return keep_uploads_in(tmp_path, monkeypatch)


def preview(client: TestClient, headers: dict[str, str]) -> Response:
    return upload_preview(client, BASE, headers, ("chats.tsv", JDDC_TSV), mapping="jddc", shop="shop-chat")


def messages(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ChatMessage)) or 0


def test_a_headerless_file_is_previewed_from_its_first_line(
    client: TestClient, auth_headers: Headers
) -> None:
    page = preview(client, auth_headers(Role.SUPERVISOR))
    sample = section(page, "import-sample")
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
    confirm(client, BASE, headers, preview(client, headers))
    assert messages(session) == 4
