from aftersales.kit.pii import mask_address, mask_name, mask_phone


def test_mobile_number_keeps_first_three_and_last_four_digits() -> None:
    assert mask_phone("13812345678") == "138****5678"


def test_mobile_number_with_separators_is_masked_the_same_way() -> None:
    assert mask_phone("138-1234-5678") == "138****5678"


def test_address_hides_everything_after_the_road_name() -> None:
    assert mask_address("文三路 100号 某小区3幢") == "文三路****"


def test_name_keeps_only_the_surname() -> None:
    assert mask_name("张小凡") == "张**"
