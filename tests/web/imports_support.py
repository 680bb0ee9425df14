"""Driving a console import (upload → preview → confirm) from the tests of each domain's page."""

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from aftersales.config import get_settings


def keep_uploads_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Uploads between preview and import go to the test's own folder."""
    monkeypatch.setattr(get_settings(), "upload_dir", tmp_path)
    return tmp_path


def upload_preview(
    client: TestClient, base: str, headers: dict[str, str], file: tuple[str, str], **form: str
) -> Response:
    name, body = file
    return client.post(
        f"{base}/preview", data=form, files={"file": (name, body.encode("utf-8"))}, headers=headers
    )


def confirm(client: TestClient, base: str, headers: dict[str, str], page: Response, **form: str) -> Response:
    """Press 确认导入 on a preview (or result) page: its hidden fields, overridden by ``form``."""
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    assert "token" in hidden, page.text
    return client.post(base, data={**hidden, **form}, headers=headers)


def section(page: Response, testid: str) -> str:
    """The HTML of one table (or list) of the page, by its ``data-testid``."""
    return page.text.split(f'data-testid="{testid}"')[1].split("</table>")[0]
