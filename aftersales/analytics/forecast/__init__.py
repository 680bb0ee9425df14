"""Inquiry forecasting and staffing: the seasonal hourly model, the promotion-window model, the
promotion calendar, Erlang C and the shift plan, and the page that puts them together.

The modules here import pandas, NumPy, SciPy and statsmodels at the top; the pages, the API and
the report reach them through ``forecast_and_staffing`` below, so those libraries load with the
first forecast and not with every server worker.
"""

from sqlalchemy.orm import Session

from aftersales.analytics.results import Analysis
from aftersales.analytics.scope import Scope


def forecast_and_staffing(session: Session, scope: Scope) -> Analysis:
    """咨询量预测与排班 for ``scope`` (``service.forecast_and_staffing`` with its defaults)."""
    from aftersales.analytics.forecast import service

    return service.forecast_and_staffing(session, scope)
