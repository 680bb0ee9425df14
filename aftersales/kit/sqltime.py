"""Time arithmetic in SQL that reads the same on SQLite and PostgreSQL."""

from sqlalchemy import ColumnElement, Float, func
from sqlalchemy.orm import Session

from aftersales.db import is_postgres


def seconds_between(
    session: Session, later: ColumnElement[object], earlier: ColumnElement[object]
) -> ColumnElement[float]:
    """``later - earlier`` in seconds (a float), computed by the database."""
    if is_postgres(session):
        return func.extract("epoch", later - earlier).cast(Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0
