"""Offset pagination shared by every list endpoint."""

from typing import Annotated, Any, Generic, TypeVar, TypeVarTuple

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import Row, Select, func, select
from sqlalchemy.orm import Session

T = TypeVar("T")
Ts = TypeVarTuple("Ts")
# A select of any number of columns (``Select[Any]`` is one column).
AnySelect = Select[*tuple[Any, ...]]


class PageParams(BaseModel):
    page: int = 1
    size: int = 50

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


def _page_params(
    page: Annotated[int, Query(ge=1, description="1-based page number")] = 1,
    size: Annotated[int, Query(ge=1, le=500, description="rows per page")] = 50,
) -> PageParams:
    return PageParams(page=page, size=size)


PageDep = Annotated[PageParams, Depends(_page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    size: int


def paginate(session: Session, statement: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    """Rows of one page and the total count of the unpaged statement."""
    rows = session.scalars(statement.offset(params.offset).limit(params.size)).all()
    return list(rows), count_rows(session, statement)


def count_rows(session: Session, statement: AnySelect) -> int:
    """How many rows the statement returns (its ordering dropped: a count needs none)."""
    return session.scalar(select(func.count()).select_from(statement.order_by(None).subquery())) or 0


def paginate_rows(session: Session, statement: Select[*Ts], params: PageParams) -> tuple[list[Row[*Ts]], int]:
    """Like ``paginate``, for a statement of several columns: whole rows, not first columns."""
    rows = session.execute(statement.offset(params.offset).limit(params.size)).all()
    return list(rows), count_rows(session, statement)
