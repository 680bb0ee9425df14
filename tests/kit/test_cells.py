from datetime import UTC, datetime
from typing import Any

import pytest

from aftersales.kit import cells


def test_excel_text_wrapper_is_removed_so_long_numbers_keep_every_digit() -> None:
    assert cells.text('="3748201956372810"') == "3748201956372810"


def test_formula_cells_are_refused() -> None:
    with pytest.raises(cells.CellError, match="公式"):
        cells.text('=HYPERLINK("http://evil")')


def test_yuan_with_two_decimals_becomes_integer_fen() -> None:
    assert cells.money_fen("1,599.90") == 159990


def test_money_with_three_decimals_is_rejected() -> None:
    with pytest.raises(cells.CellError, match="两位小数"):
        cells.money_fen("1.999")


def test_platform_timestamp_is_parsed_as_wall_time() -> None:
    assert cells.timestamp("2026-11-11 00:00:03") == datetime(2026, 11, 11, 0, 0, 3)


def test_space_separated_address_splits_into_province_city_district_street() -> None:
    assert cells.split_address("浙江省 杭州市 西湖区 文三路 100号") == (
        "浙江省",
        "杭州市",
        "西湖区",
        "文三路 100号",
    )


@pytest.mark.parametrize(
    "raw",
    [
        "2017-10-02 10:56:33.000000",
        "2017-10-02T10:56:33",
        "2017/10/02 10:56:33",
        "2017/10/2 10:56:33",
        "2017.10.02 10:56:33",
        "2017年10月02日 10:56:33",
        "20171002105633",
    ],
)
def test_common_export_time_formats_are_read(raw: str) -> None:
    assert cells.timestamp(raw) == datetime(2017, 10, 2, 10, 56, 33)


@pytest.mark.parametrize("raw", ["2017-10-02", "2017/10/02", "2017年10月2日", "20171002"])
def test_a_date_alone_is_midnight(raw: str) -> None:
    assert cells.timestamp(raw) == datetime(2017, 10, 2)


def test_an_iso_time_with_an_offset_keeps_it() -> None:
    assert cells.timestamp("2017-10-02T02:56:33Z") == datetime(2017, 10, 2, 2, 56, 33, tzinfo=UTC)


def test_a_time_that_is_not_one_is_a_cell_error() -> None:
    with pytest.raises(cells.CellError, match="时间格式错误"):
        cells.timestamp("next tuesday")


# Cells a shop's export holds, plain and odd: the column parser's quick forms must agree with the
# cell parsers on every one of them, value and reason.
ODD_CELLS = [
    None, "", " ", "abc", " abc ", "=1+1", '="00123"', "-_-", "+86 139", "@小王 在吗",
    "+cmd|' /C calc'!A0", "199.00", "199", "1.5", "1.555", "NaN", "Infinity", "-5", "99999999999999",
    "9999999999", "9999999999.99", "19999999999.99", "1,299.00", "¥5", "２３", "²",
    "2026-11-11 00:01:00", "2026-13-11 00:01:00", "2026/11/11 00:01", "20261111", "20000", "9999",
    "10000", "0", "00", "１", 5, 5.5, "长" * 10_001, "\t=1", "1.", ".5", "1.0", "-0", " 12.3 ",
    "0.05", "1\u3000", "\u30001.5",
]  # fmt: skip


def _one_by_one(parse: Any, value: Any) -> tuple[Any, str | None]:
    try:
        return parse(value), None
    except cells.CellError as exc:
        return None, str(exc)


@pytest.mark.parametrize(
    "parse", [cells.text, cells.required_text, cells.money_fen, cells.integer, cells.timestamp]
)
def test_a_column_parses_to_what_each_cell_parses_to(parse: Any) -> None:
    values, errors = cells.column(ODD_CELLS, parse)
    assert [(v, errors.get(i)) for i, v in enumerate(values)] == [_one_by_one(parse, c) for c in ODD_CELLS]


# Repeated text cells are parsed once each; 1, 1.0 and True are one key to a dict, not one cell.
REPEATED_CELLS = ["199.00"] * 50 + [None] * 50 + [1, 1.0, True, "1", "1.0", "True"] * 20 + ODD_CELLS * 3
REPEATED_TEXTS = [c for c in REPEATED_CELLS if c is None or isinstance(c, str)]


@pytest.mark.parametrize(
    "parse", [cells.text, cells.required_text, cells.money_fen, cells.integer, cells.timestamp]
)
@pytest.mark.parametrize("column", [REPEATED_CELLS, REPEATED_TEXTS])
def test_a_column_of_repeated_cells_parses_to_what_each_cell_parses_to(parse: Any, column: list[Any]) -> None:
    values, errors = cells.column(column, parse)
    assert [(v, errors.get(i)) for i, v in enumerate(values)] == [_one_by_one(parse, c) for c in column]


# Times as exports write them, in every form ``fromisoformat`` reads: a column of only these is
# parsed in one pass, which must give what each cell gives alone.
ISO_TIMES = [
    "2026-11-11 00:01:00", "2026-11-11", "20261111", "2026-11-11T00:01:00Z", "2026-11-11 00:01:00,5",
    "2026-W45-1", "2026-11-11T00", "2026-11-11 00:01:00+0800", "2017-10-02T02:56:33.123456+05:30",
]  # fmt: skip


@pytest.mark.parametrize("column", [ISO_TIMES, [*ISO_TIMES, " 2026-11-11"], [*ISO_TIMES, None]])
def test_a_column_of_iso_times_parses_to_what_each_cell_parses_to(column: list[Any]) -> None:
    values, errors = cells.column(column, cells.timestamp)
    assert [(v, errors.get(i)) for i, v in enumerate(values)] == [
        _one_by_one(cells.timestamp, c) for c in column
    ]


# Columns of text cells only: a column without a formula or an overlong cell is checked as a
# whole, any other a cell at a time; both must give what each cell gives alone.
PLAIN_TEXTS = ["abc", " abc ", "", " ", "\u3000张三\u3000", "199.00", "1\t", "a=b", "x-1", "x@y"]


@pytest.mark.parametrize("parse", [cells.text, cells.required_text])
@pytest.mark.parametrize(
    "column",
    [
        PLAIN_TEXTS,
        [*PLAIN_TEXTS, "=1+1"],
        [*PLAIN_TEXTS, " -_-"],
        [*PLAIN_TEXTS, "长" * 10_001],
        ["长" * 10_000],
    ],
)
def test_a_column_of_texts_parses_to_what_each_cell_parses_to(parse: Any, column: list[Any]) -> None:
    values, errors = cells.column(column, parse)
    assert [(v, errors.get(i)) for i, v in enumerate(values)] == [_one_by_one(parse, c) for c in column]
