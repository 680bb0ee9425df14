"""申诉 against a platform's ruling (seed 000): evidence chosen from the ticket and the order's
parcels, submitted before the deadline, then the outcome with the 补款/好评 that followed."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.orders.models import Order
from aftersales.returns import appeals
from aftersales.returns.aftercare_models import Appeal, AppealStatus
from aftersales.returns.aftercare_schemas import AppealOutcomeIn, EvidenceIn
from aftersales.returns.errors import AppealStateError
from aftersales.tickets.models import Ticket, TimelineEntry
from tests.builders import make_event, make_order, make_shipment, make_ticket, make_user
from tests.builders.returns import make_appeal
from tests.builders.tickets import make_photo

Headers = Callable[..., dict[str, str]]


def case(session: Session) -> tuple[Order, Ticket, User]:
    order = make_order(session)
    ticket = make_ticket(session, order=order, shop=None)
    return order, ticket, make_user(session, role=Role.AGENT)


def ready(session: Session) -> tuple[Appeal, User]:
    """A draft with the buyer's photo as evidence and a statement, ready to submit."""
    order, ticket, agent = case(session)
    photo = make_photo(session, ticket=ticket)
    appeal = make_appeal(session, order=order, actor=agent, ticket_id=ticket.id)
    appeals.revise(
        session,
        appeal_id=appeal.id,
        evidence=[EvidenceIn(kind="photo", ref_id=photo.id)],
        statement="买家要的是出厂报告,已提供,买家已补款并好评",
    )
    return appeal, agent


class TestEvidence:
    def test_candidates_are_the_tickets_timeline_photos_and_the_orders_tracking(
        self, session: Session
    ) -> None:
        order, ticket, _agent = case(session)
        make_photo(session, ticket=ticket, original_name="出厂报告.png")
        make_event(session, shipment=make_shipment(session, order=order), raw_text="已签收")
        kinds = {c["kind"] for c in appeals.candidates(session, order_id=order.id, ticket_id=ticket.id)}
        assert kinds == {"timeline", "photo", "tracking"}

    def test_chosen_evidence_is_copied_into_the_appeal(self, session: Session) -> None:
        order, ticket, agent = case(session)
        event = make_event(
            session, shipment=make_shipment(session, order=order), raw_text="已签收,签收人本人"
        )
        appeal = make_appeal(
            session,
            order=order,
            actor=agent,
            ticket_id=ticket.id,
            evidence=[
                EvidenceIn(kind="tracking", ref_id=event.id),
                EvidenceIn(kind="chat", text="买家:只要出厂报告"),
            ],
        )
        assert [e["kind"] for e in appeal.evidence] == ["tracking", "chat"]
        assert "签收人本人" in appeal.evidence[0]["text"]

    def test_a_photo_of_another_ticket_is_refused(self, session: Session) -> None:
        order, ticket, agent = case(session)
        other = make_ticket(session, order=make_order(session))
        stranger = make_photo(session, ticket=other)
        with pytest.raises(InvalidInputError, match="不属于该工单"):
            make_appeal(
                session,
                order=order,
                actor=agent,
                ticket_id=ticket.id,
                evidence=[EvidenceIn(kind="photo", ref_id=stranger.id)],
            )


class TestFlow:
    def test_an_appeal_without_evidence_cannot_be_submitted(self, session: Session) -> None:
        order, _ticket, agent = case(session)
        appeal = make_appeal(session, order=order, actor=agent, statement="说明")
        with pytest.raises(InvalidInputError, match="至少选择一项证据"):
            appeals.submit(session, appeal_id=appeal.id, actor=agent)

    def test_submitting_after_the_deadline_is_refused(self, session: Session) -> None:
        appeal, agent = ready(session)
        appeal.deadline_at = utcnow() - timedelta(hours=1)
        with pytest.raises(AppealStateError, match="已超过申诉截止时间"):
            appeals.submit(session, appeal_id=appeal.id, actor=agent)

    def test_the_outcome_records_the_topup_and_good_review_on_the_ticket(self, session: Session) -> None:
        appeal, agent = ready(session)
        appeals.submit(session, appeal_id=appeal.id, actor=agent)
        outcome = AppealOutcomeIn(won=True, note="平台撤销判责", topup_fen=5_000, good_review=True)
        appeals.record_outcome(session, appeal_id=appeal.id, data=outcome, actor=agent)
        notes = session.scalars(
            select(TimelineEntry.message).where(TimelineEntry.ticket_id == appeal.ticket_id)
        )
        assert appeal.status == AppealStatus.WON
        assert "申诉成功:平台撤销判责(买家补款 ¥50.00,买家已好评)" in list(notes)

    def test_a_draft_cannot_have_an_outcome(self, session: Session) -> None:
        appeal, agent = ready(session)
        with pytest.raises(AppealStateError):
            appeals.record_outcome(
                session, appeal_id=appeal.id, data=AppealOutcomeIn(won=False, note="驳回"), actor=agent
            )

    def test_a_draft_past_its_deadline_is_overdue(self, session: Session) -> None:
        appeal, _agent = ready(session)
        assert not appeals.is_overdue(appeal, utcnow())
        assert appeals.is_overdue(appeal, utcnow() + timedelta(days=4))


class TestApi:
    def test_a_deadline_before_the_ruling_is_a_422_naming_it(
        self, session: Session, client: TestClient, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        body = {
            "order_id": order.id,
            "ruling": "判定卖家责任",
            "ruled_at": "2026-12-10T10:00:00+08:00",
            "deadline_at": "2026-12-09T10:00:00+08:00",
        }
        response = client.post("/api/returns/appeals", json=body, headers=auth_headers())
        assert response.status_code == 422
        assert "deadline_at" in response.text

    def test_create_choose_submit(self, session: Session, client: TestClient, auth_headers: Headers) -> None:
        order = make_order(session)
        ticket = make_ticket(session, order=order)
        photo = make_photo(session, ticket=ticket)
        headers = auth_headers()
        deadline = (utcnow() + timedelta(days=2)).isoformat()
        body = {
            "order_id": order.id,
            "ticket_id": ticket.id,
            "ruling": "判定卖家责任",
            "deadline_at": deadline,
        }
        appeal = client.post("/api/returns/appeals", json=body, headers=headers).json()
        chosen = {"statement": "已提供出厂报告", "evidence": [{"kind": "photo", "ref_id": photo.id}]}
        client.put(f"/api/returns/appeals/{appeal['id']}/evidence", json=chosen, headers=headers)
        submitted = client.post(f"/api/returns/appeals/{appeal['id']}/submit", headers=headers)
        assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted")
