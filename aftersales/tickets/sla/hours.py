"""Business-hours arithmetic for SLA clocks (Asia/Shanghai wall time).

Deadlines are computed here once, when a clock starts or resumes, and stored on the ticket; the
queue then needs only ``sla_due_at <= now`` comparisons in SQL. Business hours apply every day
of the week: e-commerce shops serve on weekends too.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from aftersales.kit.time import SHANGHAI

DAY_MINUTES = 24 * 60
MAX_DAYS = 400


@dataclass(frozen=True)
class Hours:
    """Daily business window in local minutes; ``0..1440`` means around the clock."""

    open_minute: int
    close_minute: int

    @property
    def always(self) -> bool:
        return self.open_minute <= 0 and self.close_minute >= DAY_MINUTES

    def window(self, day: datetime) -> tuple[datetime, datetime]:
        """The local open and close instants of the day ``day`` falls on."""
        midnight = datetime.combine(day.date(), time.min, tzinfo=SHANGHAI)
        return midnight + timedelta(minutes=self.open_minute), midnight + timedelta(minutes=self.close_minute)


ALWAYS = Hours(0, DAY_MINUTES)


def add_business_seconds(start: datetime, seconds: float, hours: Hours) -> datetime:
    """The instant ``seconds`` of business time after ``start`` (time outside hours is skipped)."""
    if hours.always:
        return start + timedelta(seconds=seconds)
    cursor = start.astimezone(SHANGHAI)
    remaining = max(0.0, seconds)
    for _ in range(MAX_DAYS):
        opens, closes = hours.window(cursor)
        cursor = max(cursor, opens)
        if cursor < closes:
            available = (closes - cursor).total_seconds()
            if remaining <= available:
                return (cursor + timedelta(seconds=remaining)).astimezone(UTC)
            remaining -= available
        cursor = _next_midnight(cursor)
    raise ValueError("SLA target too far in the future")


def _next_midnight(local: datetime) -> datetime:
    return datetime.combine(local.date() + timedelta(days=1), time.min, tzinfo=SHANGHAI)


def business_seconds_between(start: datetime, end: datetime, hours: Hours) -> int:
    """Business seconds in ``[start, end)``; 0 when ``end`` is not after ``start``."""
    if end <= start:
        return 0
    if hours.always:
        return int((end - start).total_seconds())
    total = 0.0
    cursor = start.astimezone(SHANGHAI)
    end_local = end.astimezone(SHANGHAI)
    for _ in range(MAX_DAYS):
        opens, closes = hours.window(cursor)
        lo, hi = max(cursor, opens), min(end_local, closes)
        if hi > lo:
            total += (hi - lo).total_seconds()
        cursor = _next_midnight(cursor)
        if cursor >= end_local:
            break
    return int(total)


def end_of_business_day(at: datetime, hours: Hours) -> datetime:
    """Close of today's business hours, or of tomorrow's when ``at`` is already past closing."""
    local = at.astimezone(SHANGHAI)
    closes = hours.window(local)[1]
    if local >= closes:
        closes = hours.window(local + timedelta(days=1))[1]
    return closes.astimezone(UTC)


def warn_mark(start: datetime, due: datetime, percent: int, hours: Hours) -> datetime:
    """Near-breach instant: ``percent`` of the clock's business time used up."""
    span = business_seconds_between(start, due, hours)
    return add_business_seconds(start, span * percent / 100, hours)
