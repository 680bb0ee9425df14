"""The repeated-problem SOP's gift goes out: in the exchange's reshipment, or as a reshipment of its own."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Customer, Order
from aftersales.returns import reshipments
from aftersales.returns.models import RequestKind, Reshipment, ReturnRequest, SopUpgrade
from aftersales.returns.schemas import ReshipItem, ReshipmentIn
from aftersales.tickets.models import TimelineEntry
from tests.builders import make_order, make_return_policy, make_return_request, make_sku

ERP = "http://erp.example/push"


def repeat_request(
    session: Session, *, kind: RequestKind = RequestKind.RETURN, **policy: object
) -> ReturnRequest:
    """A customer's second request within the window, so the gift upgrade fires at intake."""
    first = make_order(session)
    shop, customer = session.get(Shop, first.shop_id), session.get(Customer, first.customer_id)
    assert shop is not None
    make_return_policy(session, shop=shop, **{"erp_url": ERP, **policy})
    make_return_request(session, order=first)
    reason = "not_fit" if kind == RequestKind.EXCHANGE else "not_expected"
    order = make_order(session, shop=shop, customer=customer)
    return make_return_request(session, order=order, kind=kind, reason_code=reason)


def reshipments_of(session: Session, request: ReturnRequest) -> list[Reshipment]:
    return list(session.scalars(select(Reshipment).where(Reshipment.request_id == request.id)))


def gift_upgrade(session: Session, request: ReturnRequest) -> SopUpgrade:
    found = session.scalar(
        select(SopUpgrade).where(SopUpgrade.request_id == request.id, SopUpgrade.action == "gift")
    )
    assert found is not None
    return found


class TestGiftOnAReturn:
    def test_a_return_with_the_gift_upgrade_creates_a_gift_reshipment(self, session: Session) -> None:
        request = repeat_request(session)
        (gift,) = reshipments_of(session, request)
        assert [item["title"] for item in gift.items] == [reshipments.GIFT_TITLE]
        assert gift_upgrade(session, request).reshipment_id == gift.id

    def test_the_gift_reshipment_is_pushed_to_the_erp(self, session: Session) -> None:
        request = repeat_request(session)
        (gift,) = reshipments_of(session, request)
        push = session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == gift.outbox_key))
        assert push is not None
        assert push.destination == ERP

    def test_the_shops_gift_sku_is_the_line_sent(self, session: Session) -> None:
        first = make_order(session)
        shop = session.get(Shop, first.shop_id)
        make_sku(session, shop=shop, code="GIFT-CUP", name="定制保温杯")
        customer = session.get(Customer, first.customer_id)
        make_return_policy(session, shop=shop, erp_url=ERP, gift_sku_code="GIFT-CUP")
        make_return_request(session, order=first)
        request = make_return_request(session, order=make_order(session, shop=shop, customer=customer))
        (gift,) = reshipments_of(session, request)
        assert gift.items == [{"sku_code": "GIFT-CUP", "title": "定制保温杯", "quantity": 1}]

    def test_the_timeline_names_the_trigger_of_the_gift(self, session: Session) -> None:
        request = repeat_request(session)
        messages = session.scalars(
            select(TimelineEntry.message).where(TimelineEntry.ticket_id == request.ticket_id)
        )
        assert any("赠品" in m and "第 2 次售后" in m for m in messages)

    def test_without_an_erp_the_gift_is_left_to_an_agent_and_said_so(self, session: Session) -> None:
        request = repeat_request(session, erp_url=None)
        messages = session.scalars(
            select(TimelineEntry.message).where(TimelineEntry.ticket_id == request.ticket_id)
        )
        assert not reshipments_of(session, request)
        assert any("SOP 赠品需人工安排" in m for m in messages)


class TestGiftOnAnExchange:
    def test_an_exchange_keeps_the_gift_for_its_reshipment(self, session: Session) -> None:
        request = repeat_request(session, kind=RequestKind.EXCHANGE)
        assert not reshipments_of(session, request)

    def test_the_exchange_reshipment_carries_the_gift_line_once(self, session: Session) -> None:
        request = repeat_request(session, kind=RequestKind.EXCHANGE)
        data = ReshipmentIn(
            order_id=request.order_id,
            request_id=request.id,
            items=[ReshipItem(sku_code="HT-PILLOW", title="乳胶枕", quantity=1)],
            reason="换货",
        )
        first = reshipments.create_reshipment(session, data=data, actor_id=None)
        again = reshipments.create_reshipment(session, data=data, actor_id=None)
        assert [item["title"] for item in first.items] == ["乳胶枕", reshipments.GIFT_TITLE]
        assert [item["title"] for item in again.items] == ["乳胶枕"]


def test_a_first_request_sends_no_gift(session: Session) -> None:
    order: Order = make_order(session)
    make_return_policy(session, shop=session.get(Shop, order.shop_id), erp_url=ERP)
    request = make_return_request(session, order=order)
    assert not reshipments_of(session, request)


def test_a_gift_sku_the_shop_does_not_sell_is_refused_naming_the_field(session: Session) -> None:
    order = make_order(session)
    with pytest.raises(InvalidInputError) as caught:
        make_return_policy(session, shop=session.get(Shop, order.shop_id), gift_sku_code="NO-SUCH")
    assert caught.value.field == "gift_sku_code"
