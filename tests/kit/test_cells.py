from datetime import datetime

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
