"""UTC in the database, Asia/Shanghai on screen and in reports."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
# China has kept UTC+8 without daylight saving since 1992; before that ZoneInfo knows the rules.
_FIXED_OFFSET_SINCE = 1992
_SHANGHAI_OFFSET = timedelta(hours=8)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Naive values are taken as Asia/Shanghai wall time, which is what shop exports contain."""
    if value.tzinfo is None:
        if value.year >= _FIXED_OFFSET_SINCE:  # bulk imports convert millions: skip the zone lookup
            return (value - _SHANGHAI_OFFSET).replace(tzinfo=UTC)
        value = value.replace(tzinfo=SHANGHAI)
    elif value.tzinfo is UTC:
        return value
    return value.astimezone(UTC)


def all_as_utc(values: list[datetime | None]) -> list[datetime | None]:
    """``as_utc`` of a column of times (``None`` stays), without a call per plain value."""
    return [
        None
        if v is None
        else (v - _SHANGHAI_OFFSET).replace(tzinfo=UTC)
        if v.tzinfo is None and v.year >= _FIXED_OFFSET_SINCE
        else as_utc(v)
        for v in values
    ]


def to_local(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(SHANGHAI)


def format_local(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    local = to_local(value)
    return local.strftime(fmt) if local else ""


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC interval covering one Shanghai calendar day."""
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)
