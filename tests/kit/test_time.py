from datetime import UTC, date, datetime

from aftersales.kit.time import as_utc, format_local, local_day_bounds


def test_naive_time_is_taken_as_shanghai_wall_time() -> None:
    assert as_utc(datetime(2026, 11, 11, 0, 0)) == datetime(2026, 11, 10, 16, 0, tzinfo=UTC)


def test_utc_time_is_shown_in_shanghai() -> None:
    assert format_local(datetime(2026, 11, 10, 16, 0, tzinfo=UTC)) == "2026-11-11 00:00"


def test_a_shanghai_day_starts_at_16_utc_the_day_before() -> None:
    start, end = local_day_bounds(date(2026, 11, 11))
    assert (start, end) == (datetime(2026, 11, 10, 16, tzinfo=UTC), datetime(2026, 11, 11, 16, tzinfo=UTC))
