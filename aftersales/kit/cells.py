"""Spreadsheet cells both ways: parsing imported cells (each parser raises ``CellError`` with a
reason in Chinese) and making exported cells safe to open (``export_cell``).

A cell that starts with ``= + - @`` (or a tab or carriage return, which Excel strips first) is
run as a formula by spreadsheet programs, so ``=HYPERLINK(…)`` or ``+cmd|' /C calc'!A0`` typed as a
buyer's nick would execute on an agent's machine. Exports prefix every such cell with an
apostrophe, which Excel and LibreOffice show as plain text. Imports refuse what is a formula
beyond doubt: anything after ``=``, and ``+ - @`` followed by a call or a DDE pipe; chat text such
as ``-_-`` or ``@小王 在吗`` is kept (and escaped again on export).
"""

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from operator import methodcaller
from typing import Any

from aftersales.kit.tables import MAX_CELL_CHARS
from aftersales.kit.types import MAX_MONEY_FEN, MAX_QUANTITY

_EXCEL_TEXT = re.compile(r'^="?(.*?)"?$')
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Phone numbers (+86 139 …) and signed amounts start like a formula but are inert.
_PLAIN_NUMBER = re.compile(r"[+-]?[\d\s.,()-]*\d[\d\s.,()-]*")
_CALL_OR_DDE = re.compile(r"[(|]")
# What exports write besides ISO 8601 (which ``datetime.fromisoformat`` reads, fractional seconds
# and offsets included): slashes, dots, Chinese dates, compact digits, no leading zeros.
_DATETIME_FORMATS = (
    "%Y/%m/%d %H:%M:%S.%f",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d %H:%M:%S",
    "%Y.%m.%d",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日",
    "%Y%m%d%H%M%S",
    "%Y%m%d",
)


class CellError(ValueError):
    pass


def text(value: Any) -> str | None:
    """Cell text with the ``="00123"`` digit-keeping wrapper removed; formulas are refused."""
    if value is None:
        return None
    result = str(value).strip()
    match = _EXCEL_TEXT.match(result) if result.startswith("=") else None
    if match:
        result = match.group(1)
        if not re.fullmatch(r"[\w\-]*", result):
            raise CellError("单元格含公式,已拒绝")
    elif looks_like_formula(result) and _CALL_OR_DDE.search(result):
        raise CellError("单元格以 = + - @ 开头,会被当作公式执行,已拒绝")
    if len(result) > MAX_CELL_CHARS:
        raise CellError(f"内容过长(超过 {MAX_CELL_CHARS} 字)")
    return result or None


def required_text(value: Any) -> str:
    result = text(value)
    if not result:
        raise CellError("不能为空")
    return result


def money_fen(value: Any) -> int:
    """Yuan with up to two decimals to integer fen; ``NaN``, infinities and absurd sums are refused."""
    raw = text(value) or "0"
    try:
        amount = Decimal(raw.replace(",", "").replace("¥", "").replace("￥", ""))
    except InvalidOperation:
        raise CellError(f"金额格式错误: {raw}") from None
    if not amount.is_finite():
        raise CellError(f"金额不是有效数字: {raw}")
    if amount < 0:
        raise CellError("金额不能为负")
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise CellError(f"金额最多两位小数: {raw}")
    if fen > MAX_MONEY_FEN:
        raise CellError(f"金额超过上限 {MAX_MONEY_FEN // 100} 元")
    return int(fen)


def integer(value: Any, default: int = 1, maximum: int = MAX_QUANTITY) -> int:
    """A whole number up to ``maximum`` (a quantity by default)."""
    raw = text(value)
    if raw is None:
        return default
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise CellError(f"不是整数: {raw}") from None
    if not number.is_finite() or number != number.to_integral_value():
        raise CellError(f"不是整数: {raw}")
    if abs(number) > maximum:
        raise CellError(f"数值超过上限 {maximum}")
    return int(number)


def timestamp(value: Any) -> datetime | None:
    """A time as exports write it (see ``_DATETIME_FORMATS``); a date alone is midnight."""
    if isinstance(value, datetime):
        return value
    raw = text(value)
    if raw is None:
        return None
    if len(raw) == 19 and raw[4] + raw[10] + raw[13] + raw[16] == "- ::":  # the usual format, fast
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        pass
    for fmt in _DATETIME_FORMATS:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    raise CellError(f"时间格式错误: {raw}")


def split_address(value: Any) -> tuple[str | None, str | None, str | None, str | None]:
    """``浙江省 杭州市 西湖区 文三路 100号`` to province, city, district and the street part."""
    raw = text(value)
    if not raw:
        return None, None, None, None
    parts = raw.split()
    if len(parts) < 4:
        raise CellError("地址应为『省 市 区 详细地址』,以空格分隔")
    return parts[0], parts[1], parts[2], " ".join(parts[3:])


def looks_like_formula(value: str) -> bool:
    """Text a spreadsheet program would evaluate; plain signed numbers and phone numbers are not."""
    return value.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(value)


def export_cell(value: Any) -> Any:
    """A value to write into an exported CSV or XLSX cell: numbers stay numbers, text that a
    spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


# Parsing a column at a time: each parser has a quick form for the plain cell (digits, ordinary
# text, the usual time format) that answers ``_UNSURE`` for anything else, which then goes through
# the full parser above, so every cell gets exactly the same value or reason either way.
_UNSURE: Any = object()
_FORMULA_FIRST = frozenset("=+-@")
_starts_like_formula = methodcaller("startswith", tuple(_FORMULA_FIRST))
_MONEY_DIGITS = len(str(MAX_MONEY_FEN // 100)) - 1  # whole yuan that are surely within the cap
_QUANTITY_DIGITS = len(str(MAX_QUANTITY)) - 1


def _quick_texts(values: list[Any]) -> list[Any]:
    if set(map(type, values)) == {str}:  # the usual column: checked as a whole, without a loop
        stripped = list(map(str.strip, values))
        if max(map(len, stripped)) <= MAX_CELL_CHARS and not any(map(_starts_like_formula, stripped)):
            return [s or None for s in stripped]
    return [
        _UNSURE
        if v.__class__ is not str and v is not None
        else None
        if v is None or not (s := v.strip())
        else s
        if s[0] not in _FORMULA_FIRST and len(s) <= MAX_CELL_CHARS
        else _UNSURE
        for v in values
    ]


def _quick_required_texts(values: list[Any]) -> list[Any]:
    return [_UNSURE if result is None else result for result in _quick_texts(values)]


_PLAIN_YUAN = re.compile(rf"\s*(\d{{1,{_MONEY_DIGITS}}})(?:\.(\d\d?))?\s*", re.ASCII)


def _quick_money_fen(value: Any) -> Any:
    if value.__class__ is not str:
        return 0 if value is None else _UNSURE
    match = _PLAIN_YUAN.fullmatch(value)
    if match is None:
        return _UNSURE if value.strip() else 0
    whole, cents = match.groups()
    return int(whole) * 100 + (int(cents) * (10 if len(cents) == 1 else 1) if cents else 0)


def _quick_integer(value: Any) -> Any:
    if value.__class__ is not str:
        return _UNSURE
    raw = value.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= _QUANTITY_DIGITS else _UNSURE


def _quick_timestamp(value: Any) -> Any:
    if value.__class__ is not str:
        return value if isinstance(value, datetime) else None if value is None else _UNSURE
    raw = value.strip()
    if len(raw) == 19 and raw[4] + raw[10] + raw[13] + raw[16] == "- ::":
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return _UNSURE
    return None if not raw else _UNSURE


def _quick_timestamps(values: list[Any]) -> list[Any]:
    """A column of ISO times with nothing around them (how exports write times) in one pass of
    ``fromisoformat``, which ``timestamp`` itself tries first on such a cell; any other column
    (blanks, padded or other formats, workbook dates) a cell at a time."""
    try:
        return list(map(datetime.fromisoformat, values))
    except (TypeError, ValueError):
        return list(map(_quick_timestamp, values))


# per cell, or (for the commonest parsers) per column: no call per cell at all
_QUICK = {money_fen: _quick_money_fen, integer: _quick_integer}
_QUICK_COLUMN = {text: _quick_texts, required_text: _quick_required_texts, timestamp: _quick_timestamps}


_SAMPLE = 64


def column(values: list[Any], parse: Any = text) -> tuple[list[Any], dict[int, str]]:
    """Parse a whole column with ``parse``: the values (``None`` where a cell is bad) and the
    reason of each bad cell by its index.

    A column of text cells that repeat (statuses, amounts, shop and courier names, a column the
    file lacks) is parsed one distinct cell at a time; the parsers are pure, so each cell gets the
    value and reason it would get on its own. Only text: ``1``, ``1.0`` and ``True`` are equal as
    keys but not as cells."""
    if len(set(values[:_SAMPLE])) * 2 > _SAMPLE:  # order numbers, phones, times: seldom repeat
        return _column(values, parse)
    distinct = dict.fromkeys(values)
    if len(distinct) * 2 > len(values) or not all(v.__class__ is str or v is None for v in distinct):
        return _column(values, parse)
    cells = list(distinct)
    parsed, errors = _column(cells, parse)
    by_cell = dict(zip(cells, parsed, strict=True))
    result = list(map(by_cell.__getitem__, values))
    if not errors:
        return result, {}
    reasons = {cells[index]: reason for index, reason in errors.items()}
    return result, {index: reasons[v] for index, v in enumerate(values) if v in reasons}


def _column(values: list[Any], parse: Any) -> tuple[list[Any], dict[int, str]]:
    quick, quick_column = _QUICK.get(parse), _QUICK_COLUMN.get(parse)
    if quick_column:
        parsed = quick_column(values)
    else:
        parsed = list(map(quick, values)) if quick else [_UNSURE] * len(values)
    errors: dict[int, str] = {}
    for index in [i for i, result in enumerate(parsed) if result is _UNSURE]:
        try:
            parsed[index] = parse(values[index])
        except CellError as exc:
            parsed[index] = None
            errors[index] = str(exc)
    return parsed, errors
