"""Shared types: portable column types (the same models run on SQLite and PostgreSQL) and the
constrained input types that API schemas use for money, quantities, ids and free text."""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, StringConstraints
from sqlalchemy import JSON, DateTime, Dialect, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB

JSONType = JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Always timezone-aware UTC in Python; SQLite stores it naive, PostgreSQL as timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use kit.time.as_utc()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Bounds shared by API schemas and spreadsheet parsers: a number past them is a typo or an attack
# (``quantity=99999999999``), and must be a 422 naming the field, not an overflow deep in the database.
MAX_MONEY_FEN = 10**12  # ¥10,000,000,000.00
MAX_QUANTITY = 10_000  # units of one line
MAX_ROW_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL
SHORT_TEXT_CHARS = 200
LONG_TEXT_CHARS = 5_000


def _no_nul(value: str) -> str:
    """PostgreSQL refuses NUL in text (a 500 at commit); refused up front as bad input."""
    if "\x00" in value:
        raise ValueError("不能包含 NUL 字符")
    return value


Fen = Annotated[int, Field(ge=0, le=MAX_MONEY_FEN, description="integer fen (分)")]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY)]
RowId = Annotated[int, Field(gt=0, le=MAX_ROW_ID)]
ShortText = Annotated[str, StringConstraints(max_length=SHORT_TEXT_CHARS), AfterValidator(_no_nul)]
LongText = Annotated[str, StringConstraints(max_length=LONG_TEXT_CHARS), AfterValidator(_no_nul)]
