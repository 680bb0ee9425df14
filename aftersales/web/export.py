"""Excel export of exactly the rows a list page's filters select: Chinese headers, money as
numbers, and text that a spreadsheet would run as a formula made inert."""

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response
from sqlalchemy.orm import Session

from aftersales.kit.cells import export_cell
from aftersales.kit.pagination import AnySelect
from aftersales.kit.time import format_local

MAX_ROWS = 50_000  # a list page's export; bigger extracts go through the CLI
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_rows(session: Session, statement: AnySelect) -> list[Any]:
    """The rows a list page's filters select, as exported: at most ``MAX_ROWS``, whole rows."""
    return list(session.execute(statement.limit(MAX_ROWS)).all())


def export_objects(session: Session, statement: AnySelect) -> list[Any]:
    """Like ``export_rows``, for a statement of one entity: the objects themselves."""
    return list(session.scalars(statement.limit(MAX_ROWS)))


def money(fen: int | None) -> Decimal | None:
    """Yuan from integer fen; the sheet writes it as a number with two decimals."""
    return None if fen is None else Decimal(fen) / 100


def cell(value: Any) -> Any:
    """One value as the sheet should hold it: Shanghai time as text, money and counts as numbers,
    text starting like a formula (``=HYPERLINK(…)`` in a buyer's nickname) prefixed with ``'``."""
    if isinstance(value, datetime):
        return format_local(value)
    return export_cell(value)


def xlsx_response(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    from openpyxl import Workbook  # loaded by the first export, not when the console starts
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(columns))
    for header in sheet[1]:
        header.font = Font(bold=True)
    for count, row in enumerate(rows):
        if count >= MAX_ROWS:
            break
        sheet.append([cell(v) for v in row])
        for value, target in zip(row, sheet[sheet.max_row], strict=True):
            if isinstance(value, Decimal):
                target.number_format = "0.00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    name = quote(f"{title}.xlsx")
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )
