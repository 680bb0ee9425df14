"""Analytics: funnel, trends + forecast + staffing, associations, scorecards and the 复盘 report.

Reads every other domain's tables and never writes them; each analysis says which inputs are missing.
"""
