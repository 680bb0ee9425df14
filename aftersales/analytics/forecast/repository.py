"""The forecast's inputs: inquiries (chats started) per hour and paid orders per day, read-only."""

from datetime import date, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from aftersales.analytics import repository
from aftersales.analytics.dimensions import CHATS
from aftersales.analytics.forecast.promotion import DailyHistory
from aftersales.analytics.forecast.seasonal import regular_hourly
from aftersales.analytics.repository import ORDERS
from aftersales.analytics.scope import Scope
from aftersales.kit.time import SHANGHAI, utcnow

HISTORY_DAYS = 400  # a year of promotions before the scope, and the pre-sale of the first


def hourly_inquiries(session: Session, scope: Scope) -> pd.Series:
    """A regular hourly series (Shanghai wall time) of inquiries over the scope, zeros filled.

    It stops at the current hour: an unfinished hour (or day) would read as a collapse in volume.
    """
    start = pd.Timestamp(scope.start)
    end = pd.Timestamp(scope.end + timedelta(days=1))
    counts = repository.count_by_time(session, scope, CHATS, CHATS.c.started_at, by="hour")
    by_hour = {pd.Timestamp(f"{k}:00"): float(v) for k, v in counts.items()}
    now = pd.Timestamp(utcnow().astimezone(SHANGHAI).replace(tzinfo=None)).floor("h")
    return regular_hourly(by_hour, start, min(end, now))


def daily_history(session: Session, scope: Scope) -> DailyHistory:
    """Paid orders and inquiries per complete Shanghai day over ``HISTORY_DAYS`` up to the scope's
    end (today is not complete), and the inquiries' share per hour of day."""
    last = min(scope.end, utcnow().astimezone(SHANGHAI).date() - timedelta(days=1))
    span = Scope(last - timedelta(days=HISTORY_DAYS), last, scope.platform, scope.shop_id)
    paid = repository.count_by_time(session, span, ORDERS, ORDERS.c.paid_at)
    asked = repository.count_by_time(session, span, CHATS, CHATS.c.started_at, by="hour")
    per_day: dict[date, float] = {}
    per_hour = [0.0] * 24
    for key, n in asked.items():
        day = date.fromisoformat(key[:10])
        per_day[day] = per_day.get(day, 0.0) + n
        per_hour[int(key[11:13])] += n
    total = sum(per_hour)
    share = [n / total for n in per_hour] if total else None
    paid_days = {date.fromisoformat(k): float(v) for k, v in paid.items()}
    return DailyHistory.build(paid_days, per_day, span.start, last, share)
