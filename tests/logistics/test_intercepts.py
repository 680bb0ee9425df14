from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.jobs.models import Job
from aftersales.kit import events
from aftersales.kit.events import RefundRequested, publish
from aftersales.logistics import intercepts
from aftersales.logistics.couriers import (
    InterceptReply,
    SimulatedCourier,
    register_courier,
    unregister_courier,
)
from aftersales.logistics.events import InterceptResolved
from aftersales.logistics.models import Intercept, InterceptStatus
from aftersales.orders.models import Shipment, TrackingStatus
from tests.builders import make_order, make_parcel

NOW = datetime(2026, 11, 13, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai, any hour works


class ScriptedCourier:
    """A courier API that answers as told: the interface's seam, not a mock of our code."""

    def __init__(self, request: str, status: str = "pending") -> None:
        self.request, self.status = request, status
        self.calls: list[str] = []

    def request_intercept(
        self, *, courier: str, tracking_no: str, parcel_status: object, now: datetime, context: object = None
    ) -> InterceptReply:
        self.calls.append(tracking_no)
        ref = "REF1" if self.request == "accepted" else None
        return InterceptReply(self.request, ref, "网点已受理" if ref else "已派送,无法拦截")

    def intercept_status(
        self,
        *,
        courier: str,
        tracking_no: str,
        courier_ref: str,
        accepted_at: datetime,
        now: datetime,
        context: object = None,
    ) -> InterceptReply:
        return InterceptReply(self.status, courier_ref, "快件已退回寄件人")


@pytest.fixture
def resolved_events() -> Iterator[list[InterceptResolved]]:
    seen: list[InterceptResolved] = []

    def record(_session: Session, event: InterceptResolved) -> None:
        seen.append(event)

    events.subscribe(InterceptResolved)(record)
    yield seen
    events._handlers[InterceptResolved].remove(record)


@pytest.fixture
def courier() -> Iterator[ScriptedCourier]:
    scripted = ScriptedCourier("accepted")
    register_courier("yunda", scripted)
    yield scripted
    unregister_courier("yunda")


def in_transit(session: Session, **overrides: object) -> Shipment:
    return make_parcel(
        session,
        shipped_at=NOW - timedelta(hours=20),
        courier="yunda",
        timeline=[(NOW - timedelta(hours=18), "【杭州】快件已揽收", "杭州")],
        **overrides,
    )


def refund(session: Session, order_id: int, request_id: int = 501) -> list[Intercept]:
    return intercepts.request_intercepts(
        session, order_id=order_id, refund_request_id=request_id, refund_requested_at=NOW, now=NOW
    )


class TestRequest:
    def test_a_refund_on_a_parcel_in_transit_requests_its_interception(self, session: Session) -> None:
        parcel = in_transit(session)
        [intercept] = refund(session, parcel.order_id)
        assert (intercept.shipment_id, intercept.status) == (parcel.id, InterceptStatus.REQUESTED)

    def test_a_delivered_parcel_is_not_intercepted(self, session: Session) -> None:
        parcel = make_parcel(
            session,
            shipped_at=NOW - timedelta(days=3),
            timeline=[(NOW - timedelta(days=1), "已签收,签收人:本人签收", "北京")],
        )
        assert refund(session, parcel.order_id) == []

    def test_a_return_parcel_registered_with_the_request_is_not_intercepted(self, session: Session) -> None:
        order = make_order(session)
        outbound = in_transit(session, order=order)
        make_parcel(session, order=order, shipped_at=NOW, courier="zto")  # the buyer's return parcel
        assert [i.shipment_id for i in refund(session, order.id)] == [outbound.id]

    def test_the_same_refund_event_twice_creates_one_intercept(self, session: Session) -> None:
        parcel = in_transit(session)
        refund(session, parcel.order_id)
        assert refund(session, parcel.order_id) == []

    def test_the_refund_event_queues_the_courier_call_as_a_job(self, session: Session) -> None:
        parcel = in_transit(session)
        publish(session, RefundRequested(order_id=parcel.order_id, request_id=77, requested_at=NOW))
        intercept = session.scalar(select(Intercept).where(Intercept.shipment_id == parcel.id))
        assert intercept is not None
        job = session.scalar(select(Job).where(Job.dedupe_key == f"intercept:{intercept.id}"))
        assert job is not None
        assert job.name == "logistics.submit_intercept"

    def test_a_split_order_holds_back_its_value_per_parcel(self, session: Session) -> None:
        order = make_order(session, paid_fen=30000)
        in_transit(session, order=order)
        in_transit(session, order=order)
        assert [i.goods_value_fen for i in refund(session, order.id)] == [15000, 15000]


class TestLifecycle:
    def test_an_accepted_intercept_is_published_for_the_refund(
        self, session: Session, courier: ScriptedCourier, resolved_events: list[InterceptResolved]
    ) -> None:
        [intercept] = refund(session, in_transit(session).order_id)
        intercepts.submit(session, intercept_id=intercept.id, now=NOW + timedelta(minutes=1))
        assert intercept.status == InterceptStatus.ACCEPTED
        assert resolved_events == [
            InterceptResolved(
                order_id=intercept.order_id, request_id=501, intercept_id=intercept.id, status="accepted"
            )
        ]

    def test_a_rejected_intercept_fails(self, session: Session, courier: ScriptedCourier) -> None:
        courier.request = "rejected"
        [intercept] = refund(session, in_transit(session).order_id)
        intercepts.submit(session, intercept_id=intercept.id, now=NOW)
        assert (intercept.status, intercept.detail) == (InterceptStatus.FAILED, "已派送,无法拦截")

    def test_submitting_twice_calls_the_courier_once(
        self, session: Session, courier: ScriptedCourier
    ) -> None:
        [intercept] = refund(session, in_transit(session).order_id)
        intercepts.submit(session, intercept_id=intercept.id, now=NOW)
        intercepts.submit(session, intercept_id=intercept.id, now=NOW)
        assert len(courier.calls) == 1

    def test_polling_marks_it_returned_when_the_courier_confirms(
        self, session: Session, courier: ScriptedCourier, resolved_events: list[InterceptResolved]
    ) -> None:
        [intercept] = refund(session, in_transit(session).order_id)
        intercepts.submit(session, intercept_id=intercept.id, now=NOW)
        courier.status = "returned"
        intercepts.poll(session, now=NOW + timedelta(days=2))
        assert intercept.status == InterceptStatus.RETURNED
        assert [e.status for e in resolved_events] == ["accepted", "returned"]

    def test_tracking_showing_a_signature_fails_an_accepted_intercept(
        self, session: Session, courier: ScriptedCourier
    ) -> None:
        parcel = in_transit(session)
        [intercept] = refund(session, parcel.order_id)
        intercepts.submit(session, intercept_id=intercept.id, now=NOW)
        session.execute(
            Shipment.__table__.update()
            .where(Shipment.id == parcel.id)
            .values(status=TrackingStatus.DELIVERED.value, delivered_at=NOW + timedelta(hours=5))
        )
        session.expire_all()
        intercepts.poll(session, now=NOW + timedelta(hours=6))
        assert session.get(Intercept, intercept.id).status == InterceptStatus.FAILED  # type: ignore[union-attr]


class TestSimulatedCourier:
    def test_gives_the_same_answer_for_the_same_seed_and_parcel(self) -> None:
        answers = [
            SimulatedCourier(seed=7).request_intercept(
                courier="zto", tracking_no="ZTO1234", parcel_status=TrackingStatus.IN_TRANSIT, now=NOW
            )
            for _ in range(2)
        ]
        assert answers[0] == answers[1]

    def test_accepts_most_parcels_in_the_trunk_network_and_few_out_for_delivery(self) -> None:
        courier = SimulatedCourier(seed=3)

        def rate(status: TrackingStatus) -> float:
            replies = [
                courier.request_intercept(courier="zto", tracking_no=f"ZT{n}", parcel_status=status, now=NOW)
                for n in range(2000)
            ]
            return sum(r.outcome == "accepted" for r in replies) / len(replies)

        assert 0.78 < rate(TrackingStatus.IN_TRANSIT) < 0.92
        assert rate(TrackingStatus.OUT_FOR_DELIVERY) < 0.45


class TestStats:
    def test_reports_success_rate_per_courier_and_value_kept_from_loss(
        self, session: Session, courier: ScriptedCourier
    ) -> None:
        kept = refund(session, in_transit(session, order=make_order(session, paid_fen=20000)).order_id, 1)
        intercepts.submit(session, intercept_id=kept[0].id, now=NOW + timedelta(minutes=2))
        courier.request = "rejected"
        lost = refund(session, in_transit(session).order_id, 2)
        intercepts.submit(session, intercept_id=lost[0].id, now=NOW + timedelta(minutes=4))

        result = intercepts.stats(session)

        [yunda] = result.by_courier
        assert (yunda.requests, yunda.succeeded, yunda.failed, yunda.success_rate) == (2, 1, 1, 0.5)
        assert result.saved_fen == 20000
        assert result.median_seconds_to_request == 180
