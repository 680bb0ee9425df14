"""A group's reply turned into the action it confirms, in one click, through the services that
own it: interception (and the held refund), reshipment tracking, a found parcel."""

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.logistics.models import Anomaly, AnomalyKind, AnomalyStatus, Intercept, InterceptStatus
from aftersales.messaging.callbacks import Inbound
from aftersales.orders.models import Order, Shipment, TrackingStatus
from aftersales.returns.group_actions import apply_reply_action, parcel_in
from aftersales.returns.models import Compensation, RefundState, RequestKind, Reshipment, ReshipmentStatus
from aftersales.returns.reshipments import create_reshipment
from aftersales.returns.schemas import ReshipItem, ReshipmentIn
from aftersales.tickets import collab_replies
from aftersales.tickets.collab_models import GroupReply
from aftersales.tickets.models import TimelineEntry
from tests.builders import make_order, make_return_policy, make_return_request, make_shipment, make_user
from tests.builders.tickets import make_bot, make_bot_app, make_ticket


def group_reply(session: Session, text: str, *, role: str = "courier", message_id: str = "m1") -> GroupReply:
    bot = make_bot(session, group_code="logistics" if role == "courier" else "warehouse", channel="dingtalk")
    app = make_bot_app(session, bot=bot, role=role, app_secret="s")
    return collab_replies.receive(
        session, bot=bot, app=app, message=Inbound("dingtalk", message_id, "小王", text)
    )


class TestInterception:
    def test_a_confirmed_interception_accepts_the_intercept_and_releases_the_held_refund(
        self, session: Session
    ) -> None:
        order = make_order(session)
        make_shipment(session, order=order, status=TrackingStatus.IN_TRANSIT)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        reply = group_reply(session, f"工单#{request.ticket_id} 已拦截成功")
        apply_reply_action(session, reply_id=reply.id, actor=make_user(session, role=Role.AGENT))
        intercept = session.scalars(select(Intercept).where(Intercept.order_id == order.id)).one()
        session.refresh(request)
        assert (intercept.status, request.refund_state) == (InterceptStatus.ACCEPTED, RefundState.RELEASED)

    def test_acting_twice_on_one_reply_refunds_once(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order, status=TrackingStatus.IN_TRANSIT)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        reply = group_reply(session, f"工单#{request.ticket_id} 已拦截成功")
        agent = make_user(session, role=Role.AGENT)
        apply_reply_action(session, reply_id=reply.id, actor=agent)
        assert apply_reply_action(session, reply_id=reply.id, actor=agent) == "该回复已处理"
        payouts = session.scalars(select(Compensation).where(Compensation.order_id == order.id)).all()
        assert len(payouts) == 1

    def test_nothing_to_intercept_is_refused_with_the_reason(self, session: Session) -> None:
        ticket = make_ticket(session, order=make_order(session))
        reply = group_reply(session, f"#{ticket.id} 已拦截")
        with pytest.raises(InvalidInputError, match="没有等待快递确认的拦截"):
            apply_reply_action(session, reply_id=reply.id, actor=make_user(session, role=Role.AGENT))


def reshipment_for(session: Session, order: Order) -> Reshipment:
    shop = session.get(Shop, order.shop_id)
    assert shop is not None
    make_return_policy(session, shop=shop, erp_url="http://127.0.0.1:9/erp")
    ticket = make_ticket(session, order=order)
    items = [ReshipItem(sku_code="HT-PILLOW", title="乳胶枕", quantity=1)]
    data = ReshipmentIn(order_id=order.id, ticket_id=ticket.id, items=items, reason="破损补发")
    return create_reshipment(session, data=data, actor_id=None)


class TestReshipment:
    def test_the_warehouses_tracking_number_is_registered_on_the_reshipment(self, session: Session) -> None:
        order = make_order(session)
        reshipment = reshipment_for(session, order)
        reply = group_reply(
            session, f"工单 {reshipment.ticket_id} 已补发 顺丰 SF1234567890123", role="warehouse"
        )
        apply_reply_action(session, reply_id=reply.id, actor=make_user(session, role=Role.AGENT))
        parcel = session.get(Shipment, reshipment.shipment_id)
        assert reshipment.status == ReshipmentStatus.SHIPPED
        assert parcel is not None
        assert (parcel.courier, parcel.tracking_no) == ("sf", "SF1234567890123")

    def test_a_reply_without_courier_or_number_is_refused(self) -> None:
        with pytest.raises(InvalidInputError):
            parcel_in("已经补发了")


class TestFoundParcel:
    def test_the_orders_open_anomalies_are_closed(self, session: Session) -> None:
        order = make_order(session)
        parcel = make_shipment(session, order=order)
        now = utcnow()
        anomaly = Anomaly(
            shipment_id=parcel.id,
            order_id=order.id,
            kind=AnomalyKind.NO_UPDATE,
            courier="zto",
            first_seen_at=now,
            last_seen_at=now,
        )
        session.add(anomaly)
        ticket = make_ticket(session, order=order)
        reply = group_reply(session, f"#{ticket.id} 包裹找到了,今天派送")
        message = apply_reply_action(session, reply_id=reply.id, actor=make_user(session, role=Role.AGENT))
        assert (anomaly.status, message) == (AnomalyStatus.RESOLVED, "包裹已找回(小王):关闭物流异常 1 条")

    def test_the_action_is_on_the_timeline_with_who_clicked(self, session: Session) -> None:
        order = make_order(session)
        parcel = make_shipment(session, order=order)
        now = utcnow()
        session.add(
            Anomaly(
                shipment_id=parcel.id,
                order_id=order.id,
                kind=AnomalyKind.NO_UPDATE,
                courier="zto",
                first_seen_at=now,
                last_seen_at=now,
            )
        )
        ticket = make_ticket(session, order=order)
        reply = group_reply(session, f"#{ticket.id} 找到了")
        agent = make_user(session, role=Role.AGENT)
        apply_reply_action(session, reply_id=reply.id, actor=agent)
        entry = session.scalars(
            select(TimelineEntry).where(
                TimelineEntry.ticket_id == ticket.id, TimelineEntry.kind == "group_action"
            )
        ).one()
        assert (entry.actor_id, entry.message) == (agent.id, "包裹已找回(小王):关闭物流异常 1 条")
