"""Inquiry forecasting and staffing: the seasonal hourly model, the promotion-window model, the
promotion calendar, Erlang C and the shift plan, and the page that puts them together."""
