"""Inquiry-volume forecast: seasonal exponential smoothing (ETS) on hourly counts, validated by backtest.

The model is statsmodels' ``ETSModel`` (additive error, additive daily season of 24 hours), which gives
prediction intervals from its state-space form; Holt-Winters without a state space has none.
"""

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

SEASON = 24
MIN_SEASONS = 2


class NotEnoughHistoryError(ValueError):
    """Fewer points than the model needs; analyses report it as a missing input, not a crash."""


@dataclass(frozen=True)
class Forecast:
    index: list[pd.Timestamp]
    mean: list[float]
    lower: list[float]
    upper: list[float]
    level: float


@dataclass(frozen=True)
class Backtest:
    """Error of a forecast made without the last ``horizon`` points, measured on those points."""

    horizon: int
    mae: float
    wape: float
    coverage: float
    actual: list[float]
    predicted: list[float]

    @property
    def wape_text(self) -> str:
        """No inquiries in the held-out hours leave the share undefined: "—", not "nan%"."""
        return "—" if math.isnan(self.wape) else f"{self.wape:.1%}"

    def describe(self) -> str:
        return (
            f"回测(留出最后 {self.horizon} 小时): MAE {self.mae:.1f}, WAPE {self.wape_text}, "
            f"区间覆盖率 {self.coverage:.0%}"
        )


def _check_history(series: pd.Series, season: int) -> None:
    if len(series) < MIN_SEASONS * season:
        raise NotEnoughHistoryError(f"至少需要 {MIN_SEASONS * season} 个小时的数据,当前只有 {len(series)} 个")


def _fit(series: pd.Series, season: int) -> object:
    """Additive ETS on the square root: counts vary more at the peak, the root steadies the variance."""
    # statsmodels (and the SciPy it loads) take over a second to import: when a forecast is made
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    model = ETSModel(
        pd.Series(np.sqrt(series.astype(float).clip(lower=0)).to_numpy()),
        error="add",
        trend=None,
        seasonal="add",
        seasonal_periods=season,
        initialization_method="heuristic" if len(series) >= 4 * season else "estimated",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(disp=False, maxiter=200)


def forecast(series: pd.Series, *, horizon: int, level: float = 0.8, season: int = SEASON) -> Forecast:
    """Hourly forecast of ``horizon`` points after ``series`` (a regular hourly series) with intervals."""
    _check_history(series, season)
    fitted = _fit(series, season)
    prediction = fitted.get_prediction(start=len(series), end=len(series) + horizon - 1)  # type: ignore[attr-defined]
    frame = prediction.summary_frame(alpha=1 - level)
    back = lambda values: [max(0.0, float(v)) ** 2 if v > 0 else 0.0 for v in values]  # noqa: E731
    step = series.index[1] - series.index[0] if len(series) > 1 else pd.Timedelta(hours=1)
    index = [series.index[-1] + step * (i + 1) for i in range(horizon)]
    return Forecast(index, back(frame["mean"]), back(frame["pi_lower"]), back(frame["pi_upper"]), level)


def backtest(
    series: pd.Series, *, horizon: int = SEASON, level: float = 0.8, season: int = SEASON
) -> Backtest:
    """Fit without the last ``horizon`` hours and compare: the error the page and the report print."""
    train, test = series.iloc[:-horizon], series.iloc[-horizon:]
    return compare(test, forecast(train, horizon=horizon, level=level, season=season))


def compare(test: pd.Series, result: Forecast) -> Backtest:
    """Error of ``result`` against the actual ``test`` points it forecast (same length)."""
    horizon = len(test)
    actual = test.astype(float).to_numpy()
    predicted = np.array(result.mean)
    errors = np.abs(actual - predicted)
    inside = (actual >= np.array(result.lower)) & (actual <= np.array(result.upper))
    total = float(actual.sum())
    return Backtest(
        horizon=horizon,
        mae=float(errors.mean()),
        wape=float(errors.sum() / total) if total else math.nan,
        coverage=float(inside.mean()),
        actual=actual.tolist(),
        predicted=predicted.tolist(),
    )


def regular_hourly(counts: dict[pd.Timestamp, float], start: pd.Timestamp, end: pd.Timestamp) -> pd.Series:
    """Counts per hour from ``start`` (inclusive) to ``end`` (exclusive), hours without rows as 0."""
    index = pd.date_range(start, end, freq="h", inclusive="left")
    return pd.Series(counts, dtype=float).reindex(index, fill_value=0.0)
