from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.errors import PermissionDeniedError
from aftersales.kit.time import utcnow
from aftersales.orders.models import TrackingStatus
from aftersales.orders.schemas import TrackingEventIn
from aftersales.orders.service import ingest_tracking_events
from aftersales.returns import payouts
from aftersales.returns.errors import (
    ApprovalAlreadyDecidedError,
    BeyondAuthorityError,
    EarlyRefundNotAllowedError,
)
from aftersales.returns.models import ApprovalStatus, Authority, Compensation, PayoutKind, RefundState
from aftersales.tickets.models import TimelineEntry
from tests.builders import make_order, make_return_request, make_user

Headers = Callable[..., dict[str, str]]


class TestCompensation:
    def test_agent_payout_within_authority_is_in_the_ledger_and_on_the_timeline(
        self, session: Session
    ) -> None:
        order = make_order(session, paid_fen=10_000)
        request = make_return_request(session, order=order)
        agent = make_user(session, role=Role.AGENT)
        payout = payouts.pay_compensation(
            session,
            order_id=order.id,
            amount_fen=5000,
            reason_code="not_fit",
            actor=agent,
            request_id=request.id,
        )
        assert (payout.authority, payout.agent_id, payout.ticket_id) == (
            Authority.AGENT,
            agent.id,
            request.ticket_id,
        )
        messages = session.scalars(
            select(TimelineEntry.message).where(TimelineEntry.ticket_id == request.ticket_id)
        )
        assert any("补偿打款 ¥50.00" in m for m in messages)

    def test_payout_without_a_request_opens_a_ticket_for_it(self, session: Session) -> None:
        order = make_order(session, paid_fen=10_000)
        payout = payouts.pay_compensation(
            session, order_id=order.id, amount_fen=100, reason_code="other", actor=make_user(session)
        )
        assert payout.ticket_id is not None

    def test_agent_payout_beyond_authority_leaves_no_ledger_row(self, session: Session) -> None:
        order = make_order(session, paid_fen=10_000)
        with pytest.raises(BeyondAuthorityError):
            payouts.pay_compensation(
                session, order_id=order.id, amount_fen=5001, reason_code="not_fit", actor=make_user(session)
            )
        assert session.scalar(select(Compensation).where(Compensation.order_id == order.id)) is None


class TestCompensationApi:
    def test_payout_beyond_authority_answers_403_offering_an_approval(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session, paid_fen=10_000)
        body = {"order_id": order.id, "amount_fen": 5001, "reason_code": "not_fit"}
        response = client.post("/api/returns/compensations", json=body, headers=auth_headers(Role.AGENT))
        assert response.status_code == 403
        assert response.json()["approval_available"] is True
        assert "50%" in response.json()["detail"]

    def test_fractional_yuan_amount_is_refused_naming_the_field(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        body = {"order_id": order.id, "amount_fen": 12.5, "reason_code": "not_fit"}
        response = client.post("/api/returns/compensations", json=body, headers=auth_headers(Role.AGENT))
        assert response.status_code == 422
        assert response.json()["fields"][0]["field"] == "amount_fen"

    def test_agent_cannot_decide_an_approval(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        approval = _approval(session, amount=30_000)
        response = client.post(
            f"/api/returns/approvals/{approval.id}/decision",
            json={"approve": True},
            headers=auth_headers(Role.AGENT),
        )
        assert response.status_code == 403
        assert approval.status == ApprovalStatus.PENDING

    def test_supervisor_approval_pays_300_percent_on_the_requesters_name(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        approval = _approval(session, amount=30_000)
        response = client.post(
            f"/api/returns/approvals/{approval.id}/decision",
            json={"approve": True, "note": "确属质量问题,损失较大"},
            headers=auth_headers(Role.SUPERVISOR),
        )
        assert response.status_code == 200
        payout = session.scalar(select(Compensation).where(Compensation.approval_id == approval.id))
        assert payout is not None
        assert (payout.amount_fen, payout.authority, payout.agent_id) == (
            30_000,
            Authority.SUPERVISOR_APPROVAL,
            approval.requested_by,
        )


def _approval(session: Session, *, amount: int, paid: int = 10_000):  # type: ignore[no-untyped-def]
    order = make_order(session, paid_fen=paid)
    return payouts.request_approval(
        session,
        order_id=order.id,
        amount_fen=amount,
        reason_code="defective",
        note="客户损失较大",
        actor=make_user(session, role=Role.AGENT),
    )


class TestApprovals:
    def test_request_above_300_percent_is_refused_outright(self, session: Session) -> None:
        with pytest.raises(BeyondAuthorityError) as caught:
            _approval(session, amount=30_001)
        assert caught.value.approval_available is False

    def test_approval_request_notifies_the_supervisors_group(self, session: Session) -> None:
        from aftersales.messaging.models import OutboxMessage
        from tests.builders import make_bot

        make_bot(session, group_code="supervisors")
        approval = _approval(session, amount=20_000)
        keys = session.scalars(select(OutboxMessage.idempotency_key))
        assert any(k.startswith(f"returns:approval:{approval.id}") for k in keys)

    def test_rejected_approval_pays_nothing(self, session: Session) -> None:
        approval = _approval(session, amount=20_000)
        payouts.decide_approval(
            session, approval_id=approval.id, approve=False, actor=make_user(session, role=Role.SUPERVISOR)
        )
        assert approval.status == ApprovalStatus.REJECTED
        assert session.scalar(select(Compensation).where(Compensation.order_id == approval.order_id)) is None

    def test_an_approval_is_decided_once(self, session: Session) -> None:
        approval = _approval(session, amount=20_000)
        supervisor = make_user(session, role=Role.SUPERVISOR)
        payouts.decide_approval(session, approval_id=approval.id, approve=True, actor=supervisor)
        with pytest.raises(ApprovalAlreadyDecidedError):
            payouts.decide_approval(session, approval_id=approval.id, approve=True, actor=supervisor)

    def test_the_service_refuses_an_agent_deciding_even_without_the_api(self, session: Session) -> None:
        approval = _approval(session, amount=20_000)
        with pytest.raises(PermissionDeniedError):
            payouts.decide_approval(session, approval_id=approval.id, approve=True, actor=make_user(session))


class TestEarlyRefund:
    def _request_with_return_parcel(self, session: Session, *, paid: int, scanned: bool):  # type: ignore[no-untyped-def]
        from aftersales.returns.refunds import attach_return_parcel

        order = make_order(session, paid_fen=paid, total_fen=paid)
        request = make_return_request(session, order=order, reason_code="not_fit")
        attach_return_parcel(session, request_id=request.id, courier="yto", tracking_no=f"YT{order.id:010d}")
        if scanned:
            ingest_tracking_events(
                session,
                [
                    TrackingEventIn(
                        courier="yto",
                        tracking_no=f"YT{order.id:010d}",
                        occurred_at=utcnow() - timedelta(hours=1),
                        raw_text="【杭州市】快递员已揽收",
                        status=TrackingStatus.COLLECTED,
                    )
                ],
            )
        return request

    def test_150_yuan_order_is_refunded_early_after_the_pickup_scan(self, session: Session) -> None:
        request = self._request_with_return_parcel(session, paid=15_000, scanned=True)
        payout = payouts.early_refund(session, request_id=request.id, actor=make_user(session))
        assert (payout.kind, payout.authority, payout.amount_fen) == (
            PayoutKind.EARLY_REFUND,
            Authority.EARLY_REFUND,
            15_000,
        )
        assert request.refund_state == RefundState.RELEASED

    def test_150_yuan_order_without_a_pickup_scan_is_not_refunded_early(self, session: Session) -> None:
        request = self._request_with_return_parcel(session, paid=15_000, scanned=False)
        with pytest.raises(EarlyRefundNotAllowedError):
            payouts.early_refund(session, request_id=request.id, actor=make_user(session))

    def test_order_above_150_yuan_waits_for_the_warehouse_even_when_scanned(self, session: Session) -> None:
        request = self._request_with_return_parcel(session, paid=15_001, scanned=True)
        with pytest.raises(EarlyRefundNotAllowedError):
            payouts.early_refund(session, request_id=request.id, actor=make_user(session))


class TestWindowExtension:
    def test_extension_with_a_reason_makes_a_late_request_eligible(self, session: Session) -> None:
        from aftersales.returns.models import ReturnRequest
        from tests.builders import make_shipment

        order = make_order(session)
        make_shipment(
            session, order=order, delivered_at=utcnow() - timedelta(days=9), status=TrackingStatus.DELIVERED
        )
        request: ReturnRequest = make_return_request(session, order=order, reason_code="no_reason")
        assert not request.no_reason_eligible
        payouts.extend_window(
            session,
            order_id=order.id,
            days=3,
            reason="客户出差未及时验货",
            actor=make_user(session),
            request_id=request.id,
        )
        assert request.no_reason_eligible

    def test_agent_cannot_extend_beyond_the_shops_limit(self, session: Session) -> None:
        from aftersales.kit.errors import InvalidInputError

        order = make_order(session)
        with pytest.raises(InvalidInputError) as caught:
            payouts.extend_window(
                session, order_id=order.id, days=16, reason="客户要求", actor=make_user(session)
            )
        assert caught.value.field == "days"


class TestRefund:
    def test_refund_only_without_travelling_parcels_is_refunded_by_the_agent(self, session: Session) -> None:
        from aftersales.returns.models import RequestKind

        request = make_return_request(session, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind")
        payout = payouts.refund(session, request_id=request.id, actor=make_user(session))
        assert (payout.kind, payout.amount_fen) == (PayoutKind.REFUND, request.refund_fen)

    def test_refund_held_for_an_interception_waits_unless_a_supervisor_releases_it(
        self, session: Session
    ) -> None:
        from aftersales.returns.models import RequestKind
        from tests.builders import make_shipment

        order = make_order(session)
        make_shipment(session, order=order, status=TrackingStatus.IN_TRANSIT)
        request = make_return_request(
            session, order=order, kind=RequestKind.REFUND_ONLY, reason_code="changed_mind"
        )
        with pytest.raises(EarlyRefundNotAllowedError, match="拦截"):
            payouts.refund(session, request_id=request.id, actor=make_user(session))
        payouts.refund(session, request_id=request.id, actor=make_user(session, role=Role.SUPERVISOR))
        assert request.refund_state == RefundState.RELEASED

    def test_return_is_refunded_only_once_the_goods_are_back(self, session: Session) -> None:
        from aftersales.returns.service import record_warehouse_check

        request = make_return_request(session, reason_code="not_fit")
        agent = make_user(session)
        with pytest.raises(EarlyRefundNotAllowedError, match="签收"):
            payouts.refund(session, request_id=request.id, actor=agent)
        record_warehouse_check(session, request_id=request.id, passed=True, note=None, actor=agent)
        payouts.refund(session, request_id=request.id, actor=agent)
        assert request.refund_state == RefundState.RELEASED
