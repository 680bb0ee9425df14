"""Reading shops' spreadsheets: CSV or tab-separated text in UTF-8 (with or without BOM) or GBK,
and XLSX; with a header row, or without one (columns are then named by number: "1", "2", …).

Problems with the file as a whole (encoding, missing columns) raise ``FileFormatError`` before
anything is stored; problems with single cells are reported per row by the importers.
"""

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from aftersales.kit.errors import AftersalesError

MAX_CELL_CHARS = 10_000
# The csv module stops a whole file at a field over 128 KiB; a long cell is one bad row instead
# (``cells.text`` reports it), so the reader itself accepts fields up to this size.
MAX_CSV_FIELD_BYTES = 64 * 1024 * 1024
# An XLSX is a zip of XML: a 1 MB upload can inflate to gigabytes (one repeated cell compresses
# about 1000:1). Checked from the zip directory before anything is parsed.
MAX_XLSX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_XLSX_RATIO = 100  # real sheets compress 5-20:1
_RATIO_CHECKED_FROM = 1024 * 1024
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
    csv.field_size_limit(MAX_CSV_FIELD_BYTES)
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


def _check_inflated_size(path: Path) -> None:
    """Refuse zip bombs by the sizes the zip directory declares (zipfile enforces them on read)."""
    try:
        members = zipfile.ZipFile(path).infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise FileFormatError(f"无法读取 Excel 文件: {exc}") from exc
    total = sum(m.file_size for m in members)
    if total > MAX_XLSX_UNCOMPRESSED_BYTES:
        limit = f"{MAX_XLSX_UNCOMPRESSED_BYTES / (1024 * 1024):g}"
        raise FileFormatError(f"Excel 文件解压后超过 {limit} MB 上限,请拆分后再导入")
    for member in members:
        if member.file_size > _RATIO_CHECKED_FROM and member.file_size > MAX_XLSX_RATIO * max(
            member.compress_size, 1
        ):
            raise FileFormatError(
                f"Excel 文件压缩比异常(超过 {MAX_XLSX_RATIO}:1 上限),可能含超长单元格,已拒绝"
            )


def numbered(count: int) -> list[str]:
    """Column names of a file without a header row: "1" … "count"."""
    return [str(n) for n in range(1, count + 1)]


def _xlsx_table(path: Path, *, header: bool) -> Table:
    _check_inflated_size(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FileFormatError(f"无法读取 Excel 文件: {exc}") from exc
    sheet = workbook.worksheets[0]
    declared_rows, declared_columns = sheet.max_row, sheet.max_column or 0
    # The <dimension> a writer declares can be wrong; openpyxl stops there unless it is reset.
    sheet.reset_dimensions()
    iterator = sheet.iter_rows(values_only=True)
    if header:
        try:
            headers = [str(h).strip() if h is not None else "" for h in next(iterator)]
        except StopIteration:
            raise FileFormatError("文件为空") from None
    else:
        headers = numbered(declared_columns)
    # a hint for the progress bar only
    total = (declared_rows - (1 if header else 0)) if declared_rows else None

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
