"""Refund release on a split order: every intercepted parcel of the request must satisfy the rule."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.events import publish
from aftersales.logistics.events import InterceptResolved
from aftersales.logistics.models import Intercept, InterceptStatus
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import TrackingStatus
from aftersales.returns.models import Compensation, RefundState, RequestKind, ReturnRequest
from aftersales.tickets.models import TimelineEntry
from tests.builders import make_bot, make_order, make_return_policy, make_return_request, make_shipment


def split_refund(session: Session, *, release_on: str = "returned") -> tuple[ReturnRequest, list[Intercept]]:
    """A refund-only request on an order whose two parcels are both on the road."""
    order = make_order(session)
    make_return_policy(session, shop=session.get(Shop, order.shop_id), release_refund_on=release_on)
    for _ in range(2):
        make_shipment(session, order=order, status=TrackingStatus.IN_TRANSIT)
    request = make_return_request(
        session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
    )
    found = session.scalars(
        select(Intercept).where(Intercept.refund_request_id == request.id).order_by(Intercept.id)
    ).all()
    return request, list(found)


def settle(session: Session, intercept: Intercept, status: InterceptStatus) -> None:
    """What logistics does on an outcome: store it, then publish it."""
    intercept.status = status
    session.flush()
    publish(
        session,
        InterceptResolved(
            order_id=intercept.order_id,
            request_id=intercept.refund_request_id,
            intercept_id=intercept.id,
            status=status.value,
        ),
    )


def payouts(session: Session, request: ReturnRequest) -> int:
    return session.scalar(select(func.count()).where(Compensation.request_id == request.id)) or 0


def timeline(session: Session, request: ReturnRequest) -> list[str]:
    return list(
        session.scalars(select(TimelineEntry.message).where(TimelineEntry.ticket_id == request.ticket_id))
    )


class TestSplitOrderRefundRelease:
    def test_one_parcel_returned_and_one_pending_keeps_the_refund_held(self, session: Session) -> None:
        request, (first, _second) = split_refund(session)
        settle(session, first, InterceptStatus.RETURNED)
        assert request.refund_state == RefundState.HELD_FOR_INTERCEPT
        assert payouts(session, request) == 0

    def test_the_timeline_counts_the_parcels_still_awaited(self, session: Session) -> None:
        request, (first, _second) = split_refund(session)
        settle(session, first, InterceptStatus.RETURNED)
        assert any("1/2 个包裹" in message for message in timeline(session, request))

    def test_both_parcels_returned_releases_the_refund_once(self, session: Session) -> None:
        request, (first, second) = split_refund(session)
        settle(session, first, InterceptStatus.RETURNED)
        settle(session, second, InterceptStatus.RETURNED)
        assert request.refund_state == RefundState.RELEASED
        assert payouts(session, request) == 1

    def test_one_parcel_returned_and_one_failed_keeps_the_refund_held(self, session: Session) -> None:
        request, (first, second) = split_refund(session)
        settle(session, first, InterceptStatus.RETURNED)
        settle(session, second, InterceptStatus.FAILED)
        assert request.refund_state == RefundState.INTERCEPT_FAILED
        assert payouts(session, request) == 0

    def test_a_failure_after_the_other_parcel_returned_is_escalated_on_the_timeline(
        self, session: Session
    ) -> None:
        request, (first, second) = split_refund(session)
        settle(session, second, InterceptStatus.FAILED)
        settle(session, first, InterceptStatus.RETURNED)
        assert request.refund_state == RefundState.INTERCEPT_FAILED
        assert any("拦截失败" in message for message in timeline(session, request))

    def test_a_failed_parcel_alerts_the_supervisors_group(self, session: Session) -> None:
        make_bot(session, group_code="supervisors")
        request, (first, _second) = split_refund(session)
        settle(session, first, InterceptStatus.FAILED)
        keys = session.scalars(select(OutboxMessage.idempotency_key))
        assert any(key.startswith(f"returns:request:{request.id}:intercept_failed") for key in keys)

    def test_release_on_acceptance_waits_for_the_second_parcel_to_be_accepted(self, session: Session) -> None:
        request, (first, second) = split_refund(session, release_on="accepted")
        settle(session, first, InterceptStatus.ACCEPTED)
        assert request.refund_state == RefundState.HELD_FOR_INTERCEPT
        settle(session, second, InterceptStatus.ACCEPTED)
        assert request.refund_state == RefundState.RELEASED
