"""The bulk upsert's column-wise time conversion must write the text the per-value one writes."""

from datetime import UTC, datetime, timedelta, timezone

from aftersales.kit.time import SHANGHAI
from aftersales.kit.upsert import sqlite_datetime, sqlite_datetimes

NOW = datetime(2026, 11, 11, 8, 30, 15, 123456, tzinfo=UTC)
TIMES = [
    NOW,
    None,
    NOW.replace(microsecond=0),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    datetime(2026, 11, 11, 0, 0, 0, tzinfo=SHANGHAI),
    datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5))),
    NOW,
]


class TestColumnDatetimesEqualPlain:
    def test_mixed_column(self) -> None:
        assert sqlite_datetimes(TIMES) == [sqlite_datetime(t) for t in TIMES]

    def test_utc_column_without_gaps(self) -> None:
        column = [NOW + timedelta(seconds=n, microseconds=7 * n) for n in range(1000)]
        assert sqlite_datetimes(column) == [sqlite_datetime(t) for t in column]

    def test_utc_column_with_gaps(self) -> None:
        column = [t for t in TIMES if t is None or t.tzinfo is UTC]
        assert sqlite_datetimes(column) == [sqlite_datetime(t) for t in column]

    def test_one_shared_value(self) -> None:
        assert sqlite_datetimes([NOW] * 3) == [sqlite_datetime(NOW)] * 3

    def test_empty_and_all_empty_columns(self) -> None:
        assert sqlite_datetimes([]) == []
        assert sqlite_datetimes([None, None]) == [None, None]
