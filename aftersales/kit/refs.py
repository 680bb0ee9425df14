"""Checking ids that clients send before they reach a foreign key.

A missing reference is the client's mistake, so it is a 422 naming the field; letting the
database's foreign-key error surface would be a 500.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.errors import InvalidInputError


def require_refs(session: Session, refs: dict[str, tuple[Any, int | None]]) -> None:
    """``{"order_id": (Order, 12), ...}``: every non-None id must exist, else 422 on that field."""
    for field, (model, row_id) in refs.items():
        if row_id is not None and session.scalar(select(model.id).where(model.id == row_id)) is None:
            raise InvalidInputError(field, f"不存在: {row_id}")
