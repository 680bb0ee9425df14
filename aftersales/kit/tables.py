"""Reading shops' spreadsheets: CSV or tab-separated text in UTF-8 (with or without BOM) or GBK,
and XLSX (read by calamine; openpyxl only writes); with a header row, or without one (columns are
then named by number: "1", "2", …).

Problems with the file as a whole (encoding, missing columns) raise ``FileFormatError`` before
anything is stored; problems with single cells are reported per row by the importers.
"""

import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from aftersales.kit.errors import AftersalesError

MAX_CELL_CHARS = 10_000
# The csv module stops a whole file at a field over 128 KiB; a long cell is one bad row instead
# (``cells.text`` reports it), so the reader itself accepts fields up to this size.
MAX_CSV_FIELD_BYTES = 64 * 1024 * 1024
# An XLSX is a zip of XML: a 1 MB upload can inflate to gigabytes (one repeated cell compresses
# about 1000:1). Checked from the zip directory before anything is parsed. The cap is a full
# sheet's worth: a platform's order report of 1,000,000 rows (Excel's limit is 1,048,576) with its
# 30-odd columns inflates to about 1 GB; the ratio check below is what stops a bomb.
MAX_XLSX_UNCOMPRESSED_BYTES = 2048 * 1024 * 1024
MAX_XLSX_RATIO = 100  # real sheets compress 5-20:1
_RATIO_CHECKED_FROM = 1024 * 1024
ENCODINGS = ("utf-8-sig", "gb18030")


class FileFormatError(AftersalesError):
    status_code = 422


@dataclass
class Table:
    """The file's header and its numbered records (cell values in header order)."""

    headers: list[str]
    records: Iterator[tuple[int, Sequence[Any]]]
    total: int | None
    cells: Callable[[list[Any]], list[Any]] | None = None
    """What the reader's raw cells become (calamine's ``""`` is an empty cell), applied to a row
    by ``rows`` and to a whole column by ``Chunk.column``: a bulk import converts only the columns
    it reads, a column at a time, instead of every cell of every row as it is read."""

    @property
    def rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """Each record as a dict keyed by the header's names (a later duplicate name wins)."""
        headers, cells = self.headers, self.cells
        if cells is None:
            return ((number, dict(zip(headers, values, strict=False))) for number, values in self.records)
        return (
            (number, dict(zip(headers, cells(list(values)), strict=False))) for number, values in self.records
        )

    def chunks(self, size: int) -> Iterator["Chunk"]:
        """The records ``size`` at a time, for parsing a column at a time."""
        positions = {name: index for index, name in enumerate(self.headers)}
        while batch := list(islice(self.records, size)):
            yield Chunk(
                positions, [number for number, _ in batch], [values for _, values in batch], self.cells
            )


@dataclass
class Chunk:
    positions: dict[str, int]
    numbers: list[int]
    records: list[Sequence[Any]]
    cells: Callable[[list[Any]], list[Any]] | None = None

    def column(self, name: str) -> list[Any]:
        """The column's cells (``None`` where a record is short or the file lacks the column)."""
        index = self.positions.get(name)
        if index is None:
            return [None] * len(self.records)
        try:
            values = [values[index] for values in self.records]
        except IndexError:  # a short record
            values = [values[index] if index < len(values) else None for values in self.records]
        return self.cells(values) if self.cells else values


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
    lines = [line for line in reader if any(map(str.strip, line))]
    if not lines:
        raise FileFormatError("文件为空")
    headers = [h.strip() for h in lines.pop(0)] if header else numbered(max(len(line) for line in lines))
    first = 2 if header else 1

    return Table(headers, enumerate(lines, start=first), len(lines))


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
    """The first sheet through calamine (Rust): a 100,000-row workbook in seconds, where openpyxl
    takes about a minute. Cells come back as openpyxl gave them: empty ones ``None``, whole
    numbers ``int`` (an order number typed as a number must not read ``123.0``), formulas as their
    cached value; rows as the cells are, whatever ``<dimension>`` the writer declared."""
    _check_inflated_size(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        first_row, first_column = sheet.start or (0, 0)
        iterator = sheet.iter_rows()
    except Exception as exc:
        raise FileFormatError(f"无法读取 Excel 文件: {exc}") from exc
    padding = [None] * first_column  # calamine starts at the first used column; numbering does not
    if header:
        try:
            headers = [str(h).strip() if h is not None else "" for h in padding + _cells(next(iterator))]
        except StopIteration:
            raise FileFormatError("文件为空") from None
    else:
        headers = numbered(first_column + sheet.width)
    # a hint for the progress bar only
    total = sheet.height - (1 if header else 0)

    def records() -> Iterator[tuple[int, Sequence[Any]]]:
        for number, values in enumerate(iterator, start=first_row + (2 if header else 1)):
            if values.count("") != len(values):  # calamine's empty cell is "": a blank row is skipped
                yield number, padding + values if padding else values
        workbook.close()

    return Table(headers, records(), total, _cells)


def _cells(values: list[Any]) -> list[Any]:
    """calamine's cells as openpyxl's: ``""`` is an empty cell, a whole float an int."""
    return [None if v == "" else int(v) if v.__class__ is float and v.is_integer() else v for v in values]


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
