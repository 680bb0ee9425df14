from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.jobs.models import Job, JobStatus
from aftersales.jobs.runner import drain
from aftersales.kit.events import RefundRequested, publish
from aftersales.logistics import jobs
from aftersales.logistics.couriers import InterceptReply, register_courier, unregister_courier
from aftersales.logistics.models import Anomaly, Intercept, InterceptStatus
from aftersales.orders.models import TrackingStatus
from aftersales.tickets.models import Ticket
from tests.builders import make_parcel

FROZEN = datetime(2026, 11, 14, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai


class AcceptingCourier:
    def request_intercept(
        self,
        *,
        courier: str,
        tracking_no: str,
        parcel_status: TrackingStatus | None,
        now: datetime,
        context: object = None,
    ) -> InterceptReply:
        return InterceptReply("accepted", "REF9", "已受理")

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
        return InterceptReply("pending", courier_ref)


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(FROZEN, tick=False):
        yield


@pytest.fixture
def accepting() -> Iterator[None]:
    register_courier("jt", AcceptingCourier())
    yield
    unregister_courier("jt")


def test_the_periodic_scan_job_leads_to_a_ticket_through_the_follow_up_job(
    session: Session, session_factory: sessionmaker[Session], frozen: None
) -> None:
    parcel = make_parcel(session, shipped_at=FROZEN - timedelta(hours=30))
    jobs.scan(session)
    session.commit()
    drain(session_factory)
    session.expire_all()
    anomaly = session.scalar(select(Anomaly).where(Anomaly.shipment_id == parcel.id))
    assert anomaly is not None
    assert anomaly.ticket_id is not None
    assert session.get(Ticket, anomaly.ticket_id) is not None


def test_a_refund_event_is_intercepted_by_the_job_without_anyone_at_work(
    session: Session, session_factory: sessionmaker[Session], frozen: None, accepting: None
) -> None:
    parcel = make_parcel(session, shipped_at=FROZEN - timedelta(hours=10), courier="jt")
    night = FROZEN - timedelta(hours=8)  # 03:00 in Shanghai
    publish(session, RefundRequested(order_id=parcel.order_id, request_id=3, requested_at=night))
    session.commit()
    drain(session_factory)
    session.expire_all()
    intercept = session.scalar(select(Intercept).where(Intercept.shipment_id == parcel.id))
    assert intercept is not None
    assert (intercept.status, intercept.courier_ref) == (InterceptStatus.ACCEPTED, "REF9")
    failed = session.scalars(select(Job).where(Job.status == JobStatus.FAILED)).all()
    assert failed == []
