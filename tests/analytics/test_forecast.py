import numpy as np
import pandas as pd
import pytest

from aftersales.analytics.forecast.seasonal import NotEnoughHistoryError, backtest, forecast, regular_hourly


def _seasonal_series(days: int, *, seed: int = 7) -> pd.Series:
    """Poisson counts around 50 + 40·sin(2πh/24): a known daily season with noise."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2026-11-01", periods=24 * days, freq="h")
    hours = np.arange(len(index))
    return pd.Series(rng.poisson(50 + 40 * np.sin(hours * 2 * np.pi / 24)), index=index)


class TestForecast:
    def test_forecast_follows_the_known_daily_season(self) -> None:
        series = _seasonal_series(14)
        result = forecast(series, horizon=24)
        truth = 50 + 40 * np.sin(np.arange(len(series), len(series) + 24) * 2 * np.pi / 24)
        assert np.abs(np.array(result.mean) - truth).mean() < 8

    def test_prediction_interval_contains_the_mean(self) -> None:
        result = forecast(_seasonal_series(10), horizon=12)
        assert all(lo <= m <= hi for lo, m, hi in zip(result.lower, result.mean, result.upper, strict=True))

    def test_forecast_index_continues_hourly_after_the_history(self) -> None:
        series = _seasonal_series(5)
        result = forecast(series, horizon=3)
        assert result.index[0] == series.index[-1] + pd.Timedelta(hours=1)

    def test_refuses_less_than_two_days_of_history(self) -> None:
        with pytest.raises(NotEnoughHistoryError):
            forecast(_seasonal_series(1), horizon=24)


class TestBacktest:
    def test_backtest_error_on_a_seasonal_series_is_near_the_noise(self) -> None:
        result = backtest(_seasonal_series(14), horizon=24)
        assert result.wape < 0.2
        assert result.coverage >= 0.6

    def test_backtest_of_a_flat_forecast_on_a_seasonal_series_would_be_worse(self) -> None:
        series = _seasonal_series(14)
        flat_error = np.abs(series.iloc[-24:] - series.iloc[:-24].mean()).mean()
        assert backtest(series, horizon=24).mae < flat_error / 2


class TestRegularHourly:
    def test_hours_without_rows_are_zero(self) -> None:
        start = pd.Timestamp("2026-11-11 00:00")
        series = regular_hourly({start + pd.Timedelta(hours=2): 5}, start, start + pd.Timedelta(hours=4))
        assert series.tolist() == [0, 0, 5, 0]
