import itertools
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.catalog.models import Shop
from aftersales.kit.time import utcnow
from aftersales.orders.models import Order
from aftersales.returns import appeals, price_protection, service
from aftersales.returns.aftercare_models import Appeal, PriceProtectionRule
from aftersales.returns.aftercare_schemas import AppealIn
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


def make_price_rule(session: Session, *, shop_id: int, **overrides: Any) -> PriceProtectionRule:
    """双12 default: drops within 15 days of payment, every SKU, up to ¥200 per order."""
    values = {"window_days": 15, "sku_codes": [], "max_per_order_fen": 20_000, **overrides}
    return price_protection.save_rule(session, shop_id=shop_id, values=values)


def make_appeal(session: Session, *, order: Order, actor: User, **overrides: Any) -> Appeal:
    """A draft appeal of a 质量问题 ruling, due in three days."""
    fields: dict[str, Any] = {
        "order_id": order.id,
        "ruling": "平台判定质量问题,卖家责任,已退款",
        "deadline_at": utcnow() + timedelta(days=3),
        **overrides,
    }
    return appeals.create(session, data=AppealIn(**fields), actor=actor)
