"""Return methods (seed 004): a courier pickup is booked through the courier adapter and the
customer is told the truth about it; a same-city runner is handed to the warehouse group."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.logistics.couriers import PickupReply, register_courier, unregister_courier
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Order
from aftersales.selfservice import service
from aftersales.selfservice.models import PortalRequest, ReturnMethod, ReturnTask
from aftersales.selfservice.schemas import ReturnApply
from tests.builders import make_bot, make_order, make_shipment


class ScriptedPickups:
    """A courier that answers every pickup booking with the reply it was given, and records calls."""

    def __init__(self, reply: PickupReply) -> None:
        self.reply = reply
        self.calls: list[dict[str, object]] = []

    def book_pickup(
        self,
        *,
        courier: str,
        address: str,
        slot_start: datetime,
        slot_end: datetime,
        now: datetime,
        context: object = None,
    ) -> PickupReply:
        self.calls.append({"courier": courier, "address": address, "start": slot_start, "end": slot_end})
        return self.reply


@pytest.fixture
def booking() -> Iterator[ScriptedPickups]:
    courier = ScriptedPickups(PickupReply("booked", "834521", "ZT880012345678", "网点已接单"))
    register_courier("zto", courier)  # type: ignore[arg-type]
    yield courier
    unregister_courier("zto")


@pytest.fixture
def refusal() -> Iterator[ScriptedPickups]:
    courier = ScriptedPickups(PickupReply("refused", detail="该时段网点运力已满"))
    register_courier("zto", courier)  # type: ignore[arg-type]
    yield courier
    unregister_courier("zto")


def _shipped(session: Session) -> Order:
    order = make_order(session)
    make_shipment(session, order=order, courier="zto")
    return order


def _pickup(session: Session, order: Order) -> PortalRequest:
    tomorrow = (utcnow().astimezone(SHANGHAI) + timedelta(days=1)).date()
    data = ReturnApply(
        kind="return",
        reason="not_fit",
        return_method=ReturnMethod.PICKUP,
        pickup_date=tomorrow,
        pickup_slot="09-12",
    )
    return service.submit_return(session, order_id=order.id, data=data)


def _task(session: Session, request: PortalRequest) -> ReturnTask:
    return session.scalars(select(ReturnTask).where(ReturnTask.request_id == request.id)).one()


def _texts(session: Session, order: Order) -> list[str]:
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.subject_id == order.id))
    return [str(row.payload.get("text", "")) for row in rows]


class TestCourierPickup:
    def test_pickup_is_booked_with_the_courier_that_delivered_the_order(
        self, session: Session, booking: ScriptedPickups
    ) -> None:
        order = _shipped(session)
        _pickup(session, order)
        assert booking.calls[0]["courier"] == "zto"
        assert "文三路" in str(booking.calls[0]["address"])
        assert booking.calls[0]["end"] - booking.calls[0]["start"] == timedelta(hours=3)  # type: ignore[operator]

    def test_booked_pickup_records_the_code_and_return_waybill(
        self, session: Session, booking: ScriptedPickups
    ) -> None:
        task = _task(session, _pickup(session, _shipped(session)))
        assert task.status == "booked"
        assert (task.pickup_code, task.tracking_no, task.courier) == ("834521", "ZT880012345678", "zto")
        assert task.booked_at is not None

    def test_customer_is_told_the_booking_with_time_and_code(
        self, session: Session, booking: ScriptedPickups
    ) -> None:
        order = _shipped(session)
        _pickup(session, order)
        told = [text for text in _texts(session, order) if "已为您预约快递上门取件" in text]
        assert len(told) == 1
        assert "09-12 点" in told[0]
        assert "取件码 834521" in told[0]

    def test_refused_pickup_is_never_announced_as_booked(
        self, session: Session, refusal: ScriptedPickups
    ) -> None:
        order = _shipped(session)
        _pickup(session, order)
        texts = _texts(session, order)
        assert not any("已预约" in text or "已为您预约" in text for text in texts)
        assert any("已提交,待确认" in text and "运力已满" in text for text in texts)

    def test_refused_pickup_stays_open_for_an_agent_to_rebook(
        self, session: Session, refusal: ScriptedPickups
    ) -> None:
        task = _task(session, _pickup(session, _shipped(session)))
        assert task.status == "open"
        assert task.pickup_code is None
        assert "改约" in (task.note or "")


class TestSameCityRunner:
    def _runner(self, session: Session, order: Order) -> PortalRequest:
        data = ReturnApply(kind="return", reason="not_fit", return_method=ReturnMethod.RUNNER)
        return service.submit_return(session, order_id=order.id, data=data)

    def test_runner_creates_a_task_due_within_four_hours(self, session: Session) -> None:
        task = _task(session, self._runner(session, _shipped(session)))
        assert task.method == ReturnMethod.RUNNER
        assert task.due_at is not None
        assert timedelta(hours=3) < task.due_at - utcnow() <= timedelta(hours=4)

    def test_runner_notifies_the_warehouse_group(self, session: Session) -> None:
        bot = make_bot(session, group_code="warehouse", url="http://127.0.0.1:9/warehouse")
        order = _shipped(session)
        request = self._runner(session, order)
        notices = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"selfservice:runner:{request.id}:bot{bot.id}"
            )
        ).all()
        assert len(notices) == 1
        assert order.source_id in str(notices[0].payload)

    def test_customer_is_told_the_runner_awaits_confirmation(self, session: Session) -> None:
        order = _shipped(session)
        self._runner(session, order)
        assert any("同城跑腿取件已提交,待确认" in text for text in _texts(session, order))
