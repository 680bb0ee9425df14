"""订单导入 in the console: upload, preview with a dry run, confirm; as a supervisor would use it."""

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.orders.models import Order
from tests.builders import make_shop
from tests.orders.test_importer import HEADER, row
from tests.web.imports_support import confirm as confirm_import
from tests.web.imports_support import keep_uploads_in, section, upload_preview

Headers = Callable[..., dict[str, str]]
BASE = "/console/orders/import"


def csv_text(*rows: dict[str, str]) -> str:
    lines = [",".join(HEADER)] + [",".join(r[h] for h in HEADER) for r in rows]
    return "\n".join(lines) + "\n"


GOOD = csv_text(row("9001"), row("9002"))
ONE_BAD = csv_text(row("9001"), row("9002", paid_yuan="abc"))


@pytest.fixture(autouse=True)
def upload_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, session: Session) -> Path:
    make_shop(session, code="shop-imp")
    return keep_uploads_in(tmp_path, monkeypatch)


def preview(client: TestClient, headers: dict[str, str], body: str = GOOD, **form: str) -> Response:
    fields = {"mapping": "generic", "shop": "shop-imp", **form}
    return upload_preview(client, BASE, headers, ("订单.csv", body), **fields)


def confirm(client: TestClient, headers: dict[str, str], page: Response, **form: str) -> Response:
    return confirm_import(client, BASE, headers, page, **form)


def orders(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Order)) or 0


def test_the_preview_shows_which_column_fills_each_field(client: TestClient, auth_headers: Headers) -> None:
    page = preview(client, auth_headers(Role.SUPERVISOR))
    fields = section(page, "import-fields")
    assert '<td>订单号 <span class="muted">(必填)</span></td><td>order_no</td>' in fields


def test_the_preview_is_a_dry_run_that_stores_nothing(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    page = preview(client, auth_headers(Role.SUPERVISOR))
    assert "试导入结果(尚未写入)" in page.text
    assert "<strong>2</strong><br>入库订单" in page.text
    assert orders(session) == 0


def test_confirming_imports_the_file_and_removes_the_upload(
    client: TestClient, session: Session, auth_headers: Headers, upload_dir: Path
) -> None:
    headers = auth_headers(Role.SUPERVISOR)
    done = confirm(client, headers, preview(client, headers))
    assert (done.status_code, orders(session)) == (200, 2)
    assert list(upload_dir.iterdir()) == []


def test_a_bad_row_is_listed_with_its_row_column_and_reason(
    client: TestClient, auth_headers: Headers
) -> None:
    page = preview(client, auth_headers(Role.SUPERVISOR), ONE_BAD)
    errors = section(page, "import-errors")
    assert "<td>3</td><td>paid_yuan</td>" in errors


def test_strict_stores_nothing_when_a_row_is_bad(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    headers = auth_headers(Role.SUPERVISOR)
    done = confirm(client, headers, preview(client, headers, ONE_BAD), strict="true")
    assert "整批未写入" in done.text
    assert orders(session) == 0


def test_after_a_strict_refusal_the_good_rows_can_be_imported(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    headers = auth_headers(Role.SUPERVISOR)
    refused = confirm(client, headers, preview(client, headers, ONE_BAD), strict="true")
    confirm(client, headers, refused)
    assert orders(session) == 1


def test_another_users_upload_cannot_be_imported(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    page = preview(client, auth_headers(Role.SUPERVISOR))
    response = confirm(client, auth_headers(Role.SUPERVISOR), page)
    assert response.status_code == 422
    assert orders(session) == 0


def test_a_file_missing_a_required_column_is_refused_on_the_form(
    client: TestClient, auth_headers: Headers
) -> None:
    body = GOOD.replace("order_no,", "编号,", 1)
    page = preview(client, auth_headers(Role.SUPERVISOR), body)
    assert page.status_code == 422
    assert "order_no" in page.text.split('data-testid="import-error"')[1].split("</p>")[0]


def test_only_packaged_mappings_are_accepted(client: TestClient, auth_headers: Headers) -> None:
    response = preview(client, auth_headers(Role.SUPERVISOR), mapping="/etc/passwd")
    assert response.status_code == 422


def test_agents_may_not_import(client: TestClient, auth_headers: Headers) -> None:
    assert preview(client, auth_headers()).status_code == 403


def test_the_preview_masks_phone_numbers_for_a_supervisor(client: TestClient, auth_headers: Headers) -> None:
    page = preview(client, auth_headers(Role.SUPERVISOR))
    sample = section(page, "import-sample")
    assert "13800001234" not in sample
    assert "138****1234" in sample
