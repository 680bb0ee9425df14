"""The promotion calendar: the platforms' festivals and the shop's own peaks found in its orders.

Festivals (Shanghai calendar days of the peak): 618, 双11, 双12, and 年货节, whose peak falls about
three weeks before the Spring Festival (a lunar date, listed per year). A shop's own promotions
(店庆, a live-stream day) are not in any calendar: they are the days whose paid orders reach
``OWN_PEAK_FACTOR`` times the median day and that are not near a festival. A festival the shop's
orders show it sat out (its day under ``FESTIVAL_FACTOR`` times the median) is left out: otherwise
the shop's own sale a few days after it would be read as that festival's tail, and the forecast
would be built around a quiet day.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

# 春节 (first day of the lunar year); 年货节 peaks about three weeks before it.
SPRING_FESTIVAL = {
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
NEW_YEAR_GOODS_LEAD = timedelta(days=21)
OWN_PEAK_FACTOR = 3.0
FESTIVAL_FACTOR = 2.0  # a festival the shop takes part in at least doubles its ordinary day
NEAR_FESTIVAL = timedelta(days=14)  # a festival's pre-sale waves come within two weeks of it


@dataclass(frozen=True, order=True)
class Promotion:
    peak: date
    name: str

    @property
    def label(self) -> str:
        return f"{self.name}({self.peak:%Y-%m-%d})"


def festivals(start: date, end: date) -> list[Promotion]:
    """The platforms' festivals whose peak lies in ``start``..``end``."""
    found = []
    for year in range(start.year, end.year + 2):
        found += [
            Promotion(date(year, 6, 18), "618"),
            Promotion(date(year, 11, 11), "双11"),
            Promotion(date(year, 12, 12), "双12"),
        ]
        if year in SPRING_FESTIVAL:
            found.append(Promotion(SPRING_FESTIVAL[year] - NEW_YEAR_GOODS_LEAD, "年货节"))
    return sorted(p for p in found if start <= p.peak <= end)


def own_peaks(daily_orders: Mapping[date, float], known: list[Promotion]) -> list[Promotion]:
    """Days of at least ``OWN_PEAK_FACTOR`` times the median day's orders, away from the festivals;
    of neighbouring such days the busiest is the peak."""
    if not daily_orders:
        return []
    typical = median(daily_orders.values()) or 1.0
    busy = sorted(d for d, n in daily_orders.items() if n >= OWN_PEAK_FACTOR * typical)
    peaks: list[date] = []
    for day in busy:
        if any(abs(day - p.peak) <= NEAR_FESTIVAL for p in known):
            continue
        if peaks and day - peaks[-1] <= NEAR_FESTIVAL:
            if daily_orders[day] > daily_orders[peaks[-1]]:
                peaks[-1] = day
            continue
        peaks.append(day)
    return [Promotion(day, "店铺自有大促") for day in peaks]


def calendar(start: date, end: date, daily_orders: Mapping[date, float]) -> list[Promotion]:
    """Festivals and the shop's own peaks between ``start`` and ``end``, in date order."""
    inside = {d: n for d, n in daily_orders.items() if start <= d <= end}
    typical = (median(inside.values()) if inside else 0.0) or 1.0
    known = [p for p in festivals(start, end) if _taken_part(p, inside, typical)]
    return sorted(known + own_peaks(inside, known))


def _taken_part(festival: Promotion, daily_orders: Mapping[date, float], typical: float) -> bool:
    """Whether the shop's orders show it took part; a festival beyond the orders (still to come,
    or before them) is assumed to be taken part in."""
    if festival.peak not in daily_orders:
        return True
    return daily_orders[festival.peak] >= FESTIVAL_FACTOR * typical
