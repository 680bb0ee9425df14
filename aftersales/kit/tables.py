"""Reading shops' spreadsheets: CSV or tab-separated text in UTF-8 (with or without BOM) or GBK,
and XLSX; with a header row, or without one (columns are then named by number: "1", "2", …).

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


def _csv_table(path: Path, *, header: bool) -> Table:
    text = _decode(path.read_bytes())
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    lines = [line for line in reader if any(cell.strip() for cell in line)]
    if not lines:
        raise FileFormatError("文件为空")
    headers = [h.strip() for h in lines.pop(0)] if header else numbered(max(len(line) for line in lines))
    first = 2 if header else 1

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, line in enumerate(lines, start=first):
            yield number, dict(zip(headers, line, strict=False))

    return Table(headers, rows(), len(lines))


def numbered(count: int) -> list[str]:
    """Column names of a file without a header row: "1" … "count"."""
    return [str(n) for n in range(1, count + 1)]


def _xlsx_table(path: Path, *, header: bool) -> Table:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileFormatError(f"无法读取 Excel 文件: {exc}") from exc
    sheet = workbook.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    if header:
        try:
            headers = [str(h).strip() if h is not None else "" for h in next(iterator)]
        except StopIteration:
            raise FileFormatError("文件为空") from None
    else:
        headers = numbered(sheet.max_column or 0)
    total = (sheet.max_row - (1 if header else 0)) if sheet.max_row else None

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        for number, values in enumerate(iterator, start=2 if header else 1):
            if any(v not in (None, "") for v in values):
                yield number, dict(zip(headers, values, strict=False))
        workbook.close()

    return Table(headers, rows(), total)


def read_table(path: Path, *, header: bool = True) -> Table:
    """The file's rows as dicts keyed by the header's names (or by column number without a header)."""
    if not path.exists():
        raise FileFormatError(f"文件不存在: {path}")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_table(path, header=header)
    if path.suffix.lower() in (".csv", ".txt", ".tsv", ".tab"):
        return _csv_table(path, header=header)
    raise FileFormatError(f"不支持的文件类型 {path.suffix}(支持 .csv、.tsv 与 .xlsx)")


def require_columns(headers: list[str], needed: dict[str, list[str]]) -> None:
    """Every needed field must have one of its candidate columns in the header."""
    missing = [f"{field}({'/'.join(cols)})" for field, cols in needed.items() if not set(cols) & set(headers)]
    if missing:
        raise FileFormatError("缺少必需的列: " + ", ".join(missing))
