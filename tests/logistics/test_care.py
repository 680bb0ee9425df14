from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.logistics import care
from aftersales.logistics.care_settings import DEFAULT_PLAN
from aftersales.logistics.defaults import ensure_defaults
from aftersales.logistics.models import CareMessage, CareStatus, CareStep
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Order
from aftersales.tickets.models import Ticket
from tests.builders import make_order, make_parcel

DELIVERED = datetime(2026, 11, 13, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def delivered_order(session: Session, at: datetime = DELIVERED) -> Order:
    order = make_order(session)
    make_parcel(
        session,
        order=order,
        shipped_at=at - timedelta(days=2),
        timeline=[
            (at - timedelta(days=2), "【杭州】快件已揽收", "杭州"),
            (at, "已签收,签收人:本人签收", "北京"),
        ],
    )
    return order


def steps(session: Session, order: Order) -> dict[CareStep, CareMessage]:
    rows = session.scalars(select(CareMessage).where(CareMessage.order_id == order.id))
    return {CareStep(r.step): r for r in rows}


class TestSchedule:
    def test_schedules_three_steps_after_the_last_parcel_arrives(self, session: Session) -> None:
        order = delivered_order(session)
        care.schedule(session, now=DELIVERED + timedelta(hours=1))
        assert {
            step: row.due_at - DELIVERED for step, row in steps(session, order).items()
        } == DEFAULT_PLAN.delays

    def test_waits_while_a_parcel_of_the_order_is_still_on_its_way(self, session: Session) -> None:
        order = delivered_order(session)
        make_parcel(session, order=order, shipped_at=DELIVERED - timedelta(days=1))
        care.schedule(session, now=DELIVERED + timedelta(hours=1))
        assert steps(session, order) == {}

    def test_scheduling_again_changes_nothing(self, session: Session) -> None:
        order = delivered_order(session)
        care.schedule(session, now=DELIVERED + timedelta(hours=1))
        care.schedule(session, now=DELIVERED + timedelta(hours=2))
        assert len(steps(session, order)) == 3


class TestSend:
    def test_sends_the_care_message_when_it_falls_due(self, session: Session) -> None:
        ensure_defaults(session)
        order = delivered_order(session)
        care.schedule(session, now=DELIVERED)
        assert care.send_due(session, now=DELIVERED + timedelta(hours=25)) == 1
        message = session.scalar(
            select(OutboxMessage).where(OutboxMessage.idempotency_key == f"logistics:care:{order.id}:care")
        )
        assert message is not None
        assert "签收" in message.payload["text"]

    def test_sends_nothing_during_quiet_hours(self, session: Session) -> None:
        ensure_defaults(session)
        delivered_order(session)
        care.schedule(session, now=DELIVERED)
        late_evening = datetime(2026, 11, 14, 14, 30, tzinfo=UTC)  # 22:30 in Shanghai
        assert care.send_due(session, now=late_evening) == 0

    def test_a_step_due_at_night_goes_out_in_the_morning(self, session: Session) -> None:
        ensure_defaults(session)
        order = delivered_order(session)
        care.schedule(session, now=DELIVERED)
        morning = datetime(2026, 11, 15, 1, 5, tzinfo=UTC)  # 09:05 in Shanghai
        care.send_due(session, now=morning)
        assert steps(session, order)[CareStep.CARE].sent_at == morning


class TestReply:
    def sent(self, session: Session) -> Order:
        ensure_defaults(session)
        order = delivered_order(session)
        care.schedule(session, now=DELIVERED)
        care.send_due(session, now=DELIVERED + timedelta(hours=25))
        return order

    def test_a_reply_lands_on_the_customers_record(self, session: Session) -> None:
        order = self.sent(session)
        care.record_reply(session, order_id=order.id, text="收到了,挺好的")
        [latest, *_] = [c for c in care.history(session, customer_id=order.customer_id) if c.reply_text]
        assert (latest.reply_text, latest.reply_negative) == ("收到了,挺好的", False)

    def test_a_negative_reply_opens_a_ticket_and_stops_the_sequence(self, session: Session) -> None:
        order = self.sent(session)
        reply = care.record_reply(session, order_id=order.id, text="杯子漏水,质量太差了")
        ticket = session.get(Ticket, reply.ticket_id)
        assert ticket is not None
        assert "漏水" in ticket.description
        assert {s: r.status for s, r in steps(session, order).items()} == {
            CareStep.CARE: CareStatus.REPLIED,
            CareStep.USAGE: CareStatus.CANCELLED,
            CareStep.FEEDBACK: CareStatus.CANCELLED,
        }

    def test_a_reply_without_any_message_sent_is_refused(self, session: Session) -> None:
        order = delivered_order(session)
        with pytest.raises(Exception, match="没有已发送的回访消息"):
            care.record_reply(session, order_id=order.id, text="?")


@pytest.mark.parametrize(
    ("text", "negative"),
    [("东西不错,满意", False), ("一点都不差", False), ("包装破损了", True), ("物流太慢", True)],
)
def test_reads_the_tone_of_short_replies(text: str, negative: bool) -> None:
    assert care.is_negative(text) is negative
