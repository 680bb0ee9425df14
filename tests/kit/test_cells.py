from datetime import UTC, datetime

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
