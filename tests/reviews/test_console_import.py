"""评价导入 in the console: the same three steps as orders, with the review importer behind them."""

import csv
import io
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
from aftersales.reviews.models import Review
from tests.builders import make_shop
from tests.reviews.test_import import HEADER, ROWS

Headers = Callable[..., dict[str, str]]
BASE = "/console/reviews/import"


def _body() -> str:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *ROWS])
    return out.getvalue()


BODY = _body()


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session) -> Path:
    monkeypatch.setattr(get_settings(), "upload_dir", tmp_path)
    make_shop(session, code="shop-rv")
    return tmp_path


def preview(client: TestClient, headers: dict[str, str]) -> Response:
    files = {"file": ("评价.csv", BODY.encode("utf-8"), "text/csv")}
    return client.post(
        f"{BASE}/preview", data={"mapping": "auto", "shop": "shop-rv"}, files=files, headers=headers
    )


def reviews(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Review)) or 0


def test_the_preview_names_the_column_found_for_each_field(client: TestClient, auth_headers: Headers) -> None:
    page = preview(client, auth_headers(Role.SUPERVISOR))
    assert '<td>评分 <span class="muted">(必填)</span></td><td>评分</td>' in page.text


def test_the_preview_lists_the_bad_row_and_stores_nothing(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    page = preview(client, auth_headers(Role.SUPERVISOR))
    assert "<td>4</td><td>评分</td>" in page.text
    assert reviews(session) == 0


def test_confirming_stores_the_good_rows(client: TestClient, session: Session, auth_headers: Headers) -> None:
    headers = auth_headers(Role.SUPERVISOR)
    token = re.search(r'name="token" value="([0-9a-f]+)"', preview(client, headers).text)
    assert token
    form = {"token": token.group(1), "name": "评价.csv", "mapping": "auto", "shop": "shop-rv"}
    client.post(BASE, data=form, headers=headers)
    assert reviews(session) == 2
