import pytest
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.kit.errors import InvalidInputError
from aftersales.returns import repository, service
from aftersales.returns.models import OfferKind, OfferStatus, Outcome, RequestKind, RequestStatus
from tests.builders import make_order, make_return_policy, make_return_request, make_sku, make_user


def kinds(session: Session, request_id: int) -> list[OfferKind]:
    return [o.kind for o in service.retention_offers(session, request_id=request_id)]


class TestProposals:
    def test_non_quality_return_gets_exchange_then_compensation(self, session: Session) -> None:
        request = make_return_request(session, reason_code="not_fit")
        assert kinds(session, request.id) == [
            OfferKind.EXCHANGE_FREE_SHIPPING,
            OfferKind.PARTIAL_COMPENSATION,
        ]

    def test_misuse_reason_adds_remote_guidance(self, session: Session) -> None:
        request = make_return_request(session, reason_code="usage_trouble")
        assert OfferKind.REMOTE_GUIDANCE in kinds(session, request.id)

    def test_quality_problem_gets_no_retention(self, session: Session) -> None:
        request = make_return_request(session, reason_code="damaged")
        assert kinds(session, request.id) == []

    def test_shop_policy_decides_the_order(self, session: Session) -> None:
        order = make_order(session)
        from aftersales.catalog.models import Shop

        make_return_policy(
            session,
            shop=session.get(Shop, order.shop_id),
            retention_order=["remote_guidance", "partial_compensation", "exchange_free_shipping"],
        )
        request = make_return_request(session, order=order, reason_code="not_expected")
        assert kinds(session, request.id) == [
            OfferKind.REMOTE_GUIDANCE,
            OfferKind.PARTIAL_COMPENSATION,
            OfferKind.EXCHANGE_FREE_SHIPPING,
        ]

    def test_partial_compensation_is_ten_percent_of_the_paid_amount(self, session: Session) -> None:
        request = make_return_request(session, order=make_order(session, paid_fen=29_900))
        offer = next(o for o in service.retention_offers(session, request_id=request.id) if o.amount_fen)
        assert offer.amount_fen == 2990

    def test_exchange_request_is_offered_compensation_instead(self, session: Session) -> None:
        request = make_return_request(session, kind=RequestKind.EXCHANGE, reason_code="not_fit")
        assert kinds(session, request.id) == [OfferKind.PARTIAL_COMPENSATION]


class TestChoice:
    def test_accepting_the_exchange_resolves_the_request_as_exchanged(self, session: Session) -> None:
        agent = make_user(session, role=Role.AGENT)
        request = make_return_request(session)
        service.record_offers(
            session, request_id=request.id, kinds=[OfferKind.EXCHANGE_FREE_SHIPPING], actor=agent
        )
        service.record_choice(
            session, request_id=request.id, accepted=OfferKind.EXCHANGE_FREE_SHIPPING, actor=agent
        )
        assert (request.status, request.outcome, request.agent_id) == (
            RequestStatus.RESOLVED,
            Outcome.EXCHANGED,
            agent.id,
        )

    def test_accepting_compensation_pays_it_into_the_ledger(self, session: Session) -> None:
        agent = make_user(session, role=Role.AGENT)
        request = make_return_request(session, order=make_order(session, paid_fen=20_000))
        service.record_offers(
            session, request_id=request.id, kinds=[OfferKind.PARTIAL_COMPENSATION], actor=agent
        )
        service.record_choice(
            session, request_id=request.id, accepted=OfferKind.PARTIAL_COMPENSATION, actor=agent
        )
        assert request.outcome == Outcome.COMPENSATED
        assert repository.compensated_fen(session, request.order_id) == 2000

    def test_declining_every_offer_continues_the_return(self, session: Session) -> None:
        agent = make_user(session)
        request = make_return_request(session)
        offered = [OfferKind.EXCHANGE_FREE_SHIPPING, OfferKind.PARTIAL_COMPENSATION]
        service.record_offers(session, request_id=request.id, kinds=offered, actor=agent)
        service.record_choice(session, request_id=request.id, accepted=None, actor=agent)
        assert request.status == RequestStatus.OPEN
        assert {o.status for o in repository.offers_of(session, request.id)} == {OfferStatus.DECLINED}

    def test_an_offer_not_proposed_for_the_request_cannot_be_recorded(self, session: Session) -> None:
        request = make_return_request(session, reason_code="not_fit")
        with pytest.raises(InvalidInputError):
            service.record_offers(
                session, request_id=request.id, kinds=[OfferKind.REMOTE_GUIDANCE], actor=make_user(session)
            )


class TestConversion:
    def _handled(self, session: Session, agent: User, kind: RequestKind, accepted: OfferKind | None) -> None:
        request = make_return_request(session, kind=kind, reason_code="not_fit")
        offered = [o.kind for o in service.retention_offers(session, request_id=request.id)]
        service.record_offers(session, request_id=request.id, kinds=offered, actor=agent)
        service.record_choice(session, request_id=request.id, accepted=accepted, actor=agent)

    def test_conversion_counts_return_to_exchange_and_exchange_to_compensation_per_agent(
        self, session: Session
    ) -> None:
        agent = make_user(session)
        self._handled(session, agent, RequestKind.RETURN, OfferKind.EXCHANGE_FREE_SHIPPING)
        self._handled(session, agent, RequestKind.RETURN, OfferKind.EXCHANGE_FREE_SHIPPING)
        self._handled(session, agent, RequestKind.RETURN, None)
        self._handled(session, agent, RequestKind.RETURN, OfferKind.PARTIAL_COMPENSATION)
        self._handled(session, agent, RequestKind.EXCHANGE, OfferKind.PARTIAL_COMPENSATION)
        self._handled(session, agent, RequestKind.EXCHANGE, None)
        make_return_request(session, reason_code="damaged")  # quality: never counted
        row = next(r for r in repository.conversion_report(session, by="agent") if r["key"] == agent.id)
        assert (row["returns"], row["return_to_exchange"], row["return_to_compensation"]) == (4, 2, 1)
        assert (row["exchanges"], row["exchange_to_compensation"]) == (2, 1)
        assert row["return_to_exchange_rate"] == pytest.approx(0.5)
        assert row["exchange_to_compensation_rate"] == pytest.approx(0.5)

    def test_conversion_by_reason_groups_on_the_reason_code(self, session: Session) -> None:
        agent = make_user(session)
        self._handled(session, agent, RequestKind.RETURN, OfferKind.EXCHANGE_FREE_SHIPPING)
        rows = {r["key"]: r for r in repository.conversion_report(session, by="reason")}
        assert rows["not_fit"]["return_to_exchange"] >= 1

    def test_sku_conversion_groups_on_the_sku(self, session: Session) -> None:
        order = make_order(session)
        from aftersales.catalog.models import Shop

        sku = make_sku(session, shop=session.get(Shop, order.shop_id))
        make_return_request(session, order=order, sku_code=sku.code)
        rows = {r["key"]: r for r in repository.conversion_report(session, by="sku")}
        assert rows[sku.id]["returns"] == 1
