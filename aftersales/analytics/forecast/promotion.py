"""Inquiries of a promotion's after-sales window, learned from the shop's past promotions.

Two parts, both fitted on history only:

* **Orders from the days before the peak.** For each past promotion, the paid orders of each day
  from the peak (day 0 to 13) above the shop's ordinary day, divided by the pre-sale excess (the
  14 days before the peak above the ordinary day). Summed over past promotions this gives a
  profile ``g[t]``; a new promotion's orders are its ordinary day plus ``g[t]`` times its own
  pre-sale excess, which is known before the peak.
* **Inquiries from orders.** Inquiries of a day are an ordinary level plus a weighted sum of the
  orders paid on that day and the ``LAGS`` days before (customers ask about delivery, faults and
  returns days after paying). The weights are non-negative least squares (scipy ``nnls``) over
  every day of history.

The hourly shape comes from the inquiries of past promotion windows (share per hour of day), so
the staffing plan follows the forecast hour by hour. The backtest forecasts a promotion's window
from data before its peak and compares day by day (WAPE).
"""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from aftersales.analytics.forecast.calendar import Promotion
from aftersales.analytics.forecast.seasonal import Forecast

WINDOW_DAYS = 14
PRESALE_DAYS = 14
LAGS = 7
ORDINARY_SPAN = (45, 15)  # the ordinary day: median of the days 45 to 15 days before a peak
MIN_PRESALE_EXCESS = 1.0
INTERVAL_Z = 1.2816  # 80 % two-sided


class NoPastPromotionError(ValueError):
    """No promotion in the history to learn from; the page falls back to the seasonal model."""


@dataclass(frozen=True)
class DailyHistory:
    """Paid orders and inquiries per Shanghai day, zeros filled, from ``start`` to ``end`` inclusive."""

    orders: pd.Series
    inquiries: pd.Series
    hourly_share: list[float] = field(default_factory=lambda: [1 / 24] * 24)

    @classmethod
    def build(
        cls,
        orders: Mapping[date, float],
        inquiries: Mapping[date, float],
        start: date,
        end: date,
        hourly_share: list[float] | None = None,
    ) -> "DailyHistory":
        index = pd.date_range(start, end, freq="D")
        as_series = lambda values: pd.Series(  # noqa: E731
            {pd.Timestamp(k): float(v) for k, v in values.items()}, dtype=float
        ).reindex(index, fill_value=0.0)
        return cls(as_series(orders), as_series(inquiries), hourly_share or [1 / 24] * 24)

    def before(self, day: date) -> "DailyHistory":
        cut = pd.Timestamp(day)
        return DailyHistory(
            self.orders[self.orders.index < cut],
            self.inquiries[self.inquiries.index < cut],
            self.hourly_share,
        )


@dataclass(frozen=True)
class PromotionModel:
    promotions: list[Promotion]
    order_profile: list[float]
    level: float
    weights: list[float]
    residual_std: float

    def describe(self) -> str:
        names = "、".join(p.label for p in self.promotions)
        lags = "、".join(f"第{k}天 {w:.2f}" for k, w in enumerate(self.weights) if w > 0.005)
        return (
            f"预测依据:过往 {len(self.promotions)} 次大促({names})学到的"
            f"峰值后每天付款订单相对预售订单的比例,以及每单在付款后各天带来的咨询(每单咨询系数 {lags};"
            f"日常基线每天 {self.level:.1f} 条)"
        )


def ordinary_day(orders: pd.Series, peak: date) -> float:
    """The shop's ordinary daily orders before a promotion (median, robust to smaller peaks)."""
    start, end = (pd.Timestamp(peak - timedelta(days=d)) for d in ORDINARY_SPAN)
    span = orders[(orders.index >= start) & (orders.index < end)]
    return float(median(span.tolist())) if len(span) else 0.0


def presale_excess(orders: pd.Series, peak: date, ordinary: float) -> float:
    start, end = pd.Timestamp(peak - timedelta(days=PRESALE_DAYS)), pd.Timestamp(peak)
    span = orders[(orders.index >= start) & (orders.index < end)]
    return float((span - ordinary).clip(lower=0).sum())


def fit(history: DailyHistory, promotions: list[Promotion]) -> PromotionModel:
    """Learn the order profile and the inquiry weights from history (promotions whose window ended)."""
    last = history.orders.index[-1].date() if len(history.orders) else date.min
    learned, excess_after, excess_before = [], np.zeros(WINDOW_DAYS), 0.0
    for promotion in promotions:
        if promotion.peak + timedelta(days=WINDOW_DAYS - 1) > last:
            continue
        ordinary = ordinary_day(history.orders, promotion.peak)
        before = presale_excess(history.orders, promotion.peak, ordinary)
        if before < MIN_PRESALE_EXCESS:
            continue
        window = history.orders.loc[pd.Timestamp(promotion.peak) :].iloc[:WINDOW_DAYS]
        excess_after += (window.to_numpy() - ordinary).clip(min=0)
        excess_before += before
        learned.append(promotion)
    if not learned:
        raise NoPastPromotionError("历史数据中没有可学习的往期大促")
    level, weights, residual_std = _inquiry_weights(history)
    return PromotionModel(learned, (excess_after / excess_before).tolist(), level, weights, residual_std)


def _lagged(orders: np.ndarray) -> np.ndarray:
    """Columns: ones, then the orders of the day and of each of the ``LAGS`` days before it
    (zeros before the start)."""
    padded = np.concatenate([np.zeros(LAGS), orders])
    columns = [padded[LAGS - k : LAGS - k + len(orders)] for k in range(LAGS + 1)]
    return np.column_stack([np.ones(len(orders)), *columns])


def _inquiry_weights(history: DailyHistory) -> tuple[float, list[float], float]:
    design = _lagged(history.orders.to_numpy())[LAGS:]
    target = history.inquiries.to_numpy()[LAGS:]
    coefficients, _norm = nnls(design, target)
    residuals = target - design @ coefficients
    return (
        float(coefficients[0]),
        coefficients[1:].tolist(),
        float(residuals.std()) if len(residuals) else 0.0,
    )


def forecast_window(model: PromotionModel, history: DailyHistory, peak: date) -> pd.Series:
    """Inquiries per day of the window from the peak, from data before the peak only."""
    known = history.before(peak).orders
    ordinary = ordinary_day(known, peak)
    excess = presale_excess(known, peak, ordinary)
    future_index = pd.date_range(peak, periods=WINDOW_DAYS, freq="D")
    future = pd.Series([ordinary + g * excess for g in model.order_profile], index=future_index)
    orders = pd.concat([known.iloc[-LAGS:], future]).to_numpy()
    design = _lagged(orders)[LAGS:]
    predicted = design @ np.array([model.level, *model.weights])
    return pd.Series(predicted.clip(min=0), index=future_index)


def hourly(daily: pd.Series, model: PromotionModel, share: list[float]) -> Forecast:
    """The daily forecast spread over the hours by the past windows' hourly shape, with an 80 %
    interval from the fit's daily residuals (spread like the volume) and Poisson noise."""
    index, mean, lower, upper = [], [], [], []
    for day, total in daily.items():
        for hour in range(24):
            value = float(total) * share[hour]
            spread = INTERVAL_Z * math.sqrt(value + (model.residual_std * share[hour]) ** 2)
            index.append(pd.Timestamp(day) + pd.Timedelta(hours=hour))
            mean.append(value)
            lower.append(max(0.0, value - spread))
            upper.append(value + spread)
    return Forecast(index, mean, lower, upper, 0.8)


@dataclass(frozen=True)
class WindowBacktest:
    promotion: Promotion
    learned: list[Promotion]
    days: list[date]
    actual: list[float]
    predicted: list[float]

    @property
    def wape(self) -> float:
        total = sum(self.actual)
        return (
            sum(abs(a - p) for a, p in zip(self.actual, self.predicted, strict=True)) / total
            if total
            else math.nan
        )

    def describe(self) -> str:
        return (
            f"回测:只用 {self.promotion.label} 峰值前的数据预测其售后期 {len(self.days)} 天,"
            f"每日 WAPE {self.wape:.1%}"
        )


def backtest_window(history: DailyHistory, promotions: list[Promotion], target: Promotion) -> WindowBacktest:
    """Fit on the data before ``target``'s peak, forecast its window, compare the complete days."""
    past = history.before(target.peak)
    model = fit(past, [p for p in promotions if p.peak < target.peak])
    predicted = forecast_window(model, past, target.peak)
    actual = history.inquiries.reindex(predicted.index).dropna()
    days = [t.date() for t in actual.index]
    return WindowBacktest(
        target, model.promotions, days, actual.tolist(), predicted.loc[actual.index].tolist()
    )
