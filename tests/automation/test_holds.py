"""Holds are one truth: the bot reads the same restriction as the notices and never promises a
date the hold breaks."""

from datetime import timedelta

from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.orders.models import Order, OrderStatus, TrackingStatus
from aftersales.selfservice import bot
from tests.builders import make_order, make_shipment
from tests.builders.logistics import make_region


def held_order(session: Session, **overrides: object) -> Order:
    make_region(
        session,
        province="西藏自治区",
        reason="大雪封路",
        valid_from=utcnow() - timedelta(days=1),
        valid_until=utcnow() + timedelta(days=5),
    )
    return make_order(session, province="西藏自治区", city="", district="", **overrides)


def test_asked_when_a_held_order_ships_the_bot_names_the_hold_and_promises_no_deadline(
    session: Session,
) -> None:
    order = held_order(session, status=OrderStatus.PAID)
    reply = bot.ask(session, text="什么时候发货", session_key="h1", order_id=order.id)
    assert "最晚" not in reply.answer
    assert "因大雪封路,快递暂时无法派送到西藏自治区(预计" in reply.answer


def test_a_parcel_of_a_held_order_in_transit_gets_the_hold_beside_its_tracking(session: Session) -> None:
    order = held_order(session)
    make_shipment(
        session,
        order=order,
        tracking_no="ZT1000000009",
        status=TrackingStatus.IN_TRANSIT,
        estimated_delivery_at=utcnow() + timedelta(days=1),
    )
    reply = bot.ask(session, text="我的快递到哪了", session_key="h2", order_id=order.id)
    assert "ZT1000000009" in reply.answer
    assert "因大雪封路,快递暂时无法派送到西藏自治区" in reply.answer


def test_a_past_eta_is_shown_with_a_delay_note(session: Session) -> None:
    order = make_order(session)
    make_shipment(
        session,
        order=order,
        tracking_no="ZT1000000010",
        status=TrackingStatus.IN_TRANSIT,
        estimated_delivery_at=utcnow() - timedelta(days=2),
    )
    reply = bot.ask(session, text="我的快递到哪了", session_key="h3", order_id=order.id)
    assert "已延误,我们正在催促快递" in reply.answer


def test_an_order_outside_any_restriction_keeps_its_shipping_deadline(session: Session) -> None:
    order = make_order(session, status=OrderStatus.PAID)
    reply = bot.ask(session, text="什么时候发货", session_key="h4", order_id=order.id)
    assert "最晚" in reply.answer
