"""Reshipments read the same truth as the notices: none to a refunded order or a restricted area."""

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import ConflictError
from aftersales.kit.time import utcnow
from aftersales.orders.models import Order
from aftersales.returns import reshipments
from aftersales.returns.models import Authority, Compensation, PayoutKind
from aftersales.returns.schemas import ReshipItem, ReshipmentIn
from tests.builders import make_order, make_return_policy
from tests.builders.logistics import make_region


def ready(session: Session, **order_fields: object) -> Order:
    order = make_order(session, **order_fields)
    shop = session.get(Shop, order.shop_id)
    assert shop is not None
    make_return_policy(session, shop=shop, erp_url="http://127.0.0.1:9/erp")
    return order


def reship(session: Session, order: Order, **address: str) -> None:
    data = ReshipmentIn(
        order_id=order.id, items=[ReshipItem(title="乳胶枕", quantity=1)], reason="漏发", **address
    )
    reshipments.create_reshipment(session, data=data, actor_id=None)


def test_a_fully_refunded_order_gets_no_reshipment(session: Session) -> None:
    order = ready(session)
    session.add(
        Compensation(
            shop_id=order.shop_id,
            order_id=order.id,
            kind=PayoutKind.REFUND,
            authority=Authority.SUPERVISOR,
            amount_fen=order.paid_fen,
            reason_code="refund",
        )
    )
    with pytest.raises(ConflictError, match="已全额退款"):
        reship(session, order)


def test_an_order_in_a_restricted_area_gets_no_reshipment(session: Session) -> None:
    make_region(session, province="西藏自治区", reason="大雪封路", valid_from=utcnow() - timedelta(days=1))
    order = ready(session, province="西藏自治区", city="", district="")
    with pytest.raises(ConflictError, match="收货地区停发中,不能补发: 因大雪封路"):
        reship(session, order)


def test_a_reshipment_to_an_open_area_goes_out(session: Session) -> None:
    order = ready(session)
    reship(session, order)
