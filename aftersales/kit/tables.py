"""Reading shops' spreadsheets: CSV in UTF-8 (with or without BOM) or GBK, and XLSX.

Problems with the file as a whole (encoding, missing columns) raise ``FileFormatError`` before
anything is stored; problems with single cells are reported per row by the importers.
"""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from aftersales.kit.errors import AftersalesError

MAX_CELL_CHARS = 10_000
ENCODINGS = ("utf-8-sig", "gb18030")


class FileFormatError(AftersalesError):
    status_code = 422


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    total: int | None


def _decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("无法识别文件编码(支持 UTF-8 与 GBK/GB18030)")


def _csv_table(path: Path) -> Table:
    text = _decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text))
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration:
        raise FileFormatError("文件为空") from None
    lines = [line for line in reader if any(cell.strip() for cell in line)]

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, line in enumerate(lines, start=2):
            yield number, dict(zip(headers, line, strict=False))

    return Table(headers, rows(), len(lines))


def _xlsx_table(path: Path) -> Table:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileFormatError(f"无法读取 Excel 文件: {exc}") from exc
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        headers = [str(h).strip() if h is not None else "" for h in next(iterator)]
    except StopIteration:
        raise FileFormatError("文件为空") from None
    total = (sheet.max_row - 1) if sheet.max_row else None

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, values in enumerate(iterator, start=2):
            if any(v not in (None, "") for v in values):
                yield number, dict(zip(headers, values, strict=False))
        workbook.close()

    return Table(headers, rows(), total)


def read_table(path: Path) -> Table:
    if not path.exists():
        raise FileFormatError(f"文件不存在: {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_table(path)
    if path.suffix.lower() in (".csv", ".txt"):
        return _csv_table(path)
    raise FileFormatError(f"不支持的文件类型 {path.suffix}(支持 .csv 与 .xlsx)")


def require_columns(headers: list[str], needed: dict[str, list[str]]) -> None:
    """Every needed field must have one of its candidate columns in the header."""
    missing = [f"{field}({'/'.join(cols)})" for field, cols in needed.items() if not set(cols) & set(headers)]
    if missing:
        raise FileFormatError("缺少必需的列: " + ", ".join(missing))
