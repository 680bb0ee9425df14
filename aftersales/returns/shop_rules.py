"""A shop's rule rows (photo refunds, price protection): one row per shop, replaced as a whole."""

from collections.abc import Iterable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.db import Base

R = TypeVar("R", bound=Base)  # a model with a unique ``shop_id``


def rule_for(session: Session, model: type[R], shop_id: int) -> R | None:
    return session.scalar(select(model).filter_by(shop_id=shop_id))


def save_rule(
    session: Session, model: type[R], *, shop_id: int, values: dict[str, Any], fields: Iterable[str]
) -> R:
    """Create or replace the shop's rule (values already validated by the schema)."""
    rule = rule_for(session, model, shop_id) or model(shop_id=shop_id)
    for name in fields:
        if name in values:
            setattr(rule, name, values[name])
    session.add(rule)
    session.flush()
    return rule
