from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.events import RefundRequested, publish, subscribe
from aftersales.kit.time import utcnow
from aftersales.logistics.events import InterceptResolved
from aftersales.orders.models import Customer, TrackingStatus
from aftersales.returns.models import (
    Compensation,
    PayoutKind,
    RefundState,
    RequestKind,
    RequestStatus,
    ShippingPayer,
    SopUpgrade,
)
from aftersales.tickets.models import Ticket, TimelineEntry
from tests.builders import (
    make_order,
    make_return_policy,
    make_return_request,
    make_shipment,
    make_shop,
    make_sku,
)


def timeline(session: Session, ticket_id: int | None) -> list[str]:
    rows = session.scalars(select(TimelineEntry.message).where(TimelineEntry.ticket_id == ticket_id))
    return list(rows)


def intercept_of(session: Session, request_id: int) -> int:
    """The intercept logistics opened for the request's one parcel."""
    from aftersales.logistics.models import Intercept

    found = session.scalar(select(Intercept.id).where(Intercept.refund_request_id == request_id))
    assert found is not None
    return found


class TestIntake:
    def test_request_opens_a_returns_ticket_with_the_taxonomy(self, session: Session) -> None:
        request = make_return_request(session, reason_code="damaged")
        ticket = session.get(Ticket, request.ticket_id)
        assert ticket is not None
        assert (ticket.source, ticket.source_key) == ("returns", f"request:{request.id}")
        assert (ticket.category, ticket.subcategory) == ("商品问题", "质量问题")

    def test_the_same_platform_request_twice_is_one_request(self, session: Session) -> None:
        order = make_order(session)
        first = make_return_request(session, order=order, request_no="RF-SAME")
        again = make_return_request(session, order=order, request_no="RF-SAME")
        assert again.id == first.id

    def test_quality_reason_means_the_seller_pays_return_shipping(self, session: Session) -> None:
        request = make_return_request(session, reason_code="defective")
        assert request.is_quality
        assert request.shipping_payer == ShippingPayer.SELLER
        assert request.status == RequestStatus.OPEN

    def test_non_quality_return_enters_retention_and_the_customer_pays_shipping(
        self, session: Session
    ) -> None:
        request = make_return_request(session, reason_code="not_fit")
        assert request.shipping_payer == ShippingPayer.CUSTOMER
        assert request.status == RequestStatus.RETAINING

    def test_unknown_order_is_refused_naming_the_field(self, session: Session) -> None:
        shop = make_shop(session)
        from aftersales.returns.schemas import ReturnRequestIn
        from aftersales.returns.service import create_request

        data = ReturnRequestIn(
            shop_code=shop.code, order_no="NOPE", kind=RequestKind.RETURN, reason_code="not_fit"
        )
        with pytest.raises(InvalidInputError) as caught:
            create_request(session, data=data)
        assert caught.value.field == "order_no"


class TestNoReasonWindow:
    def test_request_within_seven_days_of_delivery_is_eligible(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(
            session, order=order, delivered_at=utcnow() - timedelta(days=6), status=TrackingStatus.DELIVERED
        )
        request = make_return_request(session, order=order, reason_code="no_reason")
        assert request.no_reason_eligible

    def test_request_eight_days_after_delivery_is_not_eligible(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(
            session, order=order, delivered_at=utcnow() - timedelta(days=8), status=TrackingStatus.DELIVERED
        )
        request = make_return_request(session, order=order, reason_code="no_reason")
        assert not request.no_reason_eligible

    def test_sku_without_no_reason_returns_is_never_eligible(self, session: Session) -> None:
        order = make_order(session)
        sku = make_sku(session, shop=session.get(Shop, order.shop_id), no_reason_return_days=0)
        request = make_return_request(session, order=order, reason_code="no_reason", sku_code=sku.code)
        assert not request.no_reason_eligible


class TestSops:
    def test_high_value_quality_problem_triggers_sf_reshipment(self, session: Session) -> None:
        order = make_order(session, paid_fen=120_000, total_fen=120_000)
        request = make_return_request(session, order=order, reason_code="defective")
        upgrade = session.scalar(select(SopUpgrade).where(SopUpgrade.request_id == request.id))
        assert upgrade is not None
        assert (upgrade.rule, upgrade.action) == ("high_value_quality", "sf_reshipment")
        assert any("顺丰" in m for m in timeline(session, request.ticket_id))

    def test_second_request_of_a_customer_within_the_window_triggers_a_gift(self, session: Session) -> None:
        first = make_order(session)
        shop, customer = session.get(Shop, first.shop_id), session.get(Customer, first.customer_id)
        make_return_request(session, order=first)
        again = make_return_request(session, order=make_order(session, shop=shop, customer=customer))
        rules = set(session.scalars(select(SopUpgrade.rule).where(SopUpgrade.request_id == again.id)))
        assert rules == {"repeated_problem"}

    def test_first_request_of_a_customer_triggers_no_gift(self, session: Session) -> None:
        request = make_return_request(session)
        assert not session.scalars(select(SopUpgrade).where(SopUpgrade.request_id == request.id)).all()


class TestInterception:
    def test_refund_request_on_a_parcel_in_transit_is_published_and_held(self, session: Session) -> None:
        seen: list[RefundRequested] = []

        @subscribe(RefundRequested)
        def _spy(_: Session, event: RefundRequested) -> None:
            seen.append(event)

        order = make_order(session)
        make_shipment(session, order=order, status=TrackingStatus.IN_TRANSIT)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        assert request.refund_state == RefundState.HELD_FOR_INTERCEPT
        assert (seen[-1].order_id, seen[-1].request_id) == (order.id, request.id)

    def test_accepted_interception_releases_the_refund_under_the_default_rule(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        publish(
            session,
            InterceptResolved(
                order_id=order.id,
                request_id=request.id,
                intercept_id=intercept_of(session, request.id),
                status="accepted",
            ),
        )
        assert request.refund_state == RefundState.RELEASED
        payout = session.scalar(select(Compensation).where(Compensation.request_id == request.id))
        assert payout is not None
        assert (payout.kind, payout.amount_fen) == (PayoutKind.REFUND, order.paid_fen)

    def test_shop_waiting_for_the_return_keeps_the_refund_on_acceptance(self, session: Session) -> None:
        order = make_order(session)
        make_return_policy(session, shop=session.get(Shop, order.shop_id), release_refund_on="returned")
        make_shipment(session, order=order)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        publish(
            session,
            InterceptResolved(
                order_id=order.id,
                request_id=request.id,
                intercept_id=intercept_of(session, request.id),
                status="accepted",
            ),
        )
        assert request.refund_state == RefundState.HELD_FOR_INTERCEPT
        publish(
            session,
            InterceptResolved(
                order_id=order.id,
                request_id=request.id,
                intercept_id=intercept_of(session, request.id),
                status="returned",
            ),
        )
        assert request.refund_state == RefundState.RELEASED

    def test_failed_interception_keeps_the_refund_and_says_so(self, session: Session) -> None:
        order = make_order(session)
        make_shipment(session, order=order)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        publish(
            session,
            InterceptResolved(
                order_id=order.id,
                request_id=request.id,
                intercept_id=intercept_of(session, request.id),
                status="failed",
            ),
        )
        assert request.refund_state == RefundState.INTERCEPT_FAILED
        assert any("拦截失败" in m for m in timeline(session, request.ticket_id))

    def test_released_refund_tells_the_customer_through_the_outbox(self, session: Session) -> None:
        from aftersales.messaging.models import OutboxMessage

        order = make_order(session)
        make_shipment(session, order=order)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        publish(
            session,
            InterceptResolved(
                order_id=order.id,
                request_id=request.id,
                intercept_id=intercept_of(session, request.id),
                status="returned",
            ),
        )
        notice = session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"returns:request:{request.id}:refunded"
            )
        )
        assert notice is not None
        assert "299.00" in notice.payload["text"]


class TestWithLogistics:
    """The real logistics interception code on the other side of the two events."""

    def test_refund_request_on_a_travelling_parcel_gets_an_intercept(self, session: Session) -> None:
        from aftersales.logistics.models import Intercept

        order = make_order(session)
        make_shipment(session, order=order, status=TrackingStatus.IN_TRANSIT)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        intercept = session.scalar(select(Intercept).where(Intercept.refund_request_id == request.id))
        assert intercept is not None

    def test_parcel_back_at_the_sender_releases_the_refund(self, session: Session) -> None:
        from aftersales.logistics import intercepts
        from aftersales.logistics.models import Intercept, InterceptStatus

        order = make_order(session)
        parcel = make_shipment(session, order=order, status=TrackingStatus.IN_TRANSIT)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        intercept = session.scalar(select(Intercept).where(Intercept.refund_request_id == request.id))
        assert intercept is not None
        intercept.status = InterceptStatus.ACCEPTED
        parcel.status = TrackingStatus.RETURNED
        session.flush()
        intercepts.poll(session)
        assert request.refund_state == RefundState.RELEASED

    def test_parcel_delivered_before_the_courier_call_keeps_the_refund_held(self, session: Session) -> None:
        from aftersales.logistics import intercepts
        from aftersales.logistics.models import Intercept

        order = make_order(session)
        parcel = make_shipment(session, order=order, status=TrackingStatus.IN_TRANSIT)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        intercept = session.scalar(select(Intercept).where(Intercept.refund_request_id == request.id))
        assert intercept is not None
        parcel.delivered_at = utcnow()
        session.flush()
        intercepts.submit(session, intercept_id=intercept.id)
        assert request.refund_state == RefundState.INTERCEPT_FAILED
