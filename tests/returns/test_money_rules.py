"""Money moves once: the rules behind the per-order lock, tested directly on the services.

The parallel versions of these attacks run against a real server in ``test_money_races.py``.
"""

import pytest
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError, PermissionDeniedError
from aftersales.orders.models import Order
from aftersales.returns import payouts, service
from aftersales.returns.errors import BeyondAuthorityError, RefundExceedsPaidError
from aftersales.returns.models import Authority, Compensation, PayoutKind, RequestKind
from aftersales.returns.refunds import release_refund
from aftersales.returns.schemas import ReturnRequestIn
from tests.builders import make_order, make_return_request, make_ticket, make_user


def console_request(session: Session, order: Order, **values: object) -> ReturnRequestIn:
    shop = session.get(Shop, order.shop_id)
    assert shop is not None
    data = {"kind": RequestKind.REFUND_ONLY, "reason_code": "not_fit", "channel": "console", **values}
    return ReturnRequestIn(shop_code=shop.code, order_no=order.source_id, **data)  # type: ignore[arg-type]


class TestRefundRequests:
    def test_a_second_console_request_of_the_same_kind_is_the_open_one(self, session: Session) -> None:
        order = make_order(session, paid_fen=19_900)
        first = service.create_request(session, data=console_request(session, order))
        again = service.create_request(session, data=console_request(session, order))
        assert again.id == first.id

    def test_a_platform_request_beyond_what_is_left_to_refund_is_refused(self, session: Session) -> None:
        order = make_order(session, paid_fen=19_900)
        make_return_request(session, order=order, kind=RequestKind.REFUND_ONLY)
        with pytest.raises(RefundExceedsPaidError, match="已全部退款或在退款处理中"):
            make_return_request(session, order=order, kind=RequestKind.REFUND_ONLY)

    def test_a_part_of_the_order_can_still_be_asked_back(self, session: Session) -> None:
        order = make_order(session, paid_fen=20_000)
        make_return_request(session, order=order, kind=RequestKind.REFUND_ONLY, refund_fen=5_000)
        second = make_return_request(session, order=order, kind=RequestKind.REFUND_ONLY, refund_fen=15_000)
        assert second.refund_fen == 15_000

    def test_release_refuses_a_refund_past_what_was_paid(self, session: Session) -> None:
        order = make_order(session, paid_fen=10_000)
        request = make_return_request(session, order=order, kind=RequestKind.REFUND_ONLY)
        session.add(
            Compensation(
                shop_id=order.shop_id,
                order_id=order.id,
                kind=PayoutKind.REFUND,
                authority=Authority.AGENT,
                amount_fen=1,
                reason_code="other",
            )
        )
        with pytest.raises(RefundExceedsPaidError):
            release_refund(
                session,
                request,
                kind=PayoutKind.REFUND,
                authority=Authority.AGENT,
                actor_id=None,
                note="退款",
            )


class TestIdempotencyKey:
    def test_a_repeat_with_the_same_key_returns_the_first_payout(self, session: Session) -> None:
        order = make_order(session, paid_fen=10_000)
        agent = make_user(session)
        values = {"order_id": order.id, "amount_fen": 1000, "reason_code": "other", "actor": agent}
        first = payouts.pay_compensation(session, **values, idempotency_key="k-1")  # type: ignore[arg-type]
        again = payouts.pay_compensation(session, **values, idempotency_key="k-1")  # type: ignore[arg-type]
        assert again.id == first.id

    def test_a_key_reused_for_another_amount_is_refused(self, session: Session) -> None:
        order = make_order(session, paid_fen=10_000)
        agent = make_user(session)
        payouts.pay_compensation(
            session, order_id=order.id, amount_fen=1000, reason_code="other", actor=agent, idempotency_key="k"
        )
        with pytest.raises(InvalidInputError, match="幂等键"):
            payouts.pay_compensation(
                session,
                order_id=order.id,
                amount_fen=2000,
                reason_code="other",
                actor=agent,
                idempotency_key="k",
            )


class TestOwnership:
    def test_a_ticket_of_another_order_is_refused(self, session: Session) -> None:
        order = make_order(session)
        other = make_ticket(session, order=make_order(session))
        with pytest.raises(InvalidInputError, match="工单与订单不匹配"):
            payouts.pay_compensation(
                session,
                order_id=order.id,
                amount_fen=100,
                reason_code="other",
                actor=make_user(session),
                ticket_id=other.id,
            )

    def test_an_extension_for_a_request_of_another_order_is_refused(self, session: Session) -> None:
        order = make_order(session)
        foreign = make_return_request(session, order=make_order(session))
        with pytest.raises(InvalidInputError, match="售后申请与订单不匹配"):
            payouts.extend_window(
                session,
                order_id=order.id,
                days=3,
                reason="物流延误",
                actor=make_user(session),
                request_id=foreign.id,
            )

    def test_a_supervisor_cannot_approve_their_own_request(self, session: Session) -> None:
        order = make_order(session, paid_fen=10_000)
        supervisor = make_user(session, role=Role.SUPERVISOR)
        approval = payouts.request_approval(
            session,
            order_id=order.id,
            amount_fen=20_000,
            reason_code="defective",
            note="质量问题",
            actor=supervisor,
        )
        with pytest.raises(PermissionDeniedError, match="不能审批自己"):
            payouts.decide_approval(session, approval_id=approval.id, approve=True, actor=supervisor)


class TestCumulativeLimits:
    def test_extensions_add_up_against_the_agents_limit(self, session: Session) -> None:
        order = make_order(session)
        agent = make_user(session)
        payouts.extend_window(session, order_id=order.id, days=15, reason="物流延误", actor=agent)
        with pytest.raises(InvalidInputError, match="本单已延长 15 天"):
            payouts.extend_window(session, order_id=order.id, days=1, reason="物流延误", actor=agent)

    def test_pending_approvals_count_against_the_ceiling(self, session: Session) -> None:
        order = make_order(session, paid_fen=10_000)
        agent = make_user(session)
        payouts.request_approval(
            session,
            order_id=order.id,
            amount_fen=30_000,
            reason_code="defective",
            note="质量问题",
            actor=agent,
        )
        with pytest.raises(BeyondAuthorityError, match="超出最高补偿额度"):
            payouts.request_approval(
                session,
                order_id=order.id,
                amount_fen=100,
                reason_code="defective",
                note="质量问题",
                actor=agent,
            )
