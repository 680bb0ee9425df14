"""评价导入 in the console: the same three steps as orders, with the review importer behind them."""

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.reviews.models import Review
from tests.builders import make_shop
from tests.reviews.test_import import HEADER, ROWS
from tests.web.imports_support import confirm, keep_uploads_in, upload_preview

Headers = Callable[..., dict[str, str]]
BASE = "/console/reviews/import"


def _body() -> str:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *ROWS])
    return out.getvalue()


BODY = _body()


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session) -> Path:
    make_shop(session, code="shop-rv")
    return keep_uploads_in(tmp_path, monkeypatch)


def preview(client: TestClient, headers: dict[str, str]) -> Response:
    return upload_preview(client, BASE, headers, ("评价.csv", BODY), mapping="auto", shop="shop-rv")


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
    confirm(client, BASE, headers, preview(client, headers))
    assert reviews(session) == 2
