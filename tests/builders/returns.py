import itertools
from typing import Any

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.orders.models import Order
from aftersales.returns import service
from aftersales.returns.models import RequestKind, ReturnPolicy, ReturnRequest
from aftersales.returns.policy import Policy
from aftersales.returns.schemas import ReturnRequestIn
from tests.builders.orders import make_order

_seq = itertools.count(1)


def make_return_request(
    session: Session,
    *,
    order: Order | None = None,
    kind: RequestKind = RequestKind.RETURN,
    reason_code: str = "not_fit",
    actor_id: int | None = None,
    **overrides: Any,
) -> ReturnRequest:
    """A request taken in through the service, so its ticket, SOPs and events happen as in production."""
    n = next(_seq)
    order = order or make_order(session)
    shop = session.get(Shop, order.shop_id)
    assert shop is not None
    data = ReturnRequestIn(
        shop_code=shop.code,
        order_no=order.source_id,
        request_no=overrides.pop("request_no", f"RF{n:010d}"),
        kind=kind,
        reason_code=reason_code,
        **overrides,
    )
    return service.create_request(session, data=data, actor_id=actor_id)


def make_return_policy(session: Session, *, shop: Shop, **overrides: Any) -> ReturnPolicy:
    values = {**Policy().as_columns(), **overrides}
    return service.save_policy(session, shop_id=shop.id, values=values)
