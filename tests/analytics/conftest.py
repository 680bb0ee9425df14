from datetime import UTC, date, datetime

import pytest

from aftersales.analytics.scope import Scope
from aftersales.kit.time import SHANGHAI

# 2026-11-11 in Shanghai is 2026-11-10 16:00 to 2026-11-11 16:00 UTC.
PEAK = date(2026, 11, 11)


def at(hour: int, minute: int = 0, day: int = 11) -> datetime:
    """A UTC instant given as Shanghai wall time on November ``day`` (UTC+8)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def peak_scope() -> Scope:
    return Scope(PEAK, PEAK)
