"""Rating invitations (邀评), recovery of negative chat ratings, re-rating and the funnel."""

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.catalog.models import Shop
from aftersales.kit.time import utcnow
from aftersales.messaging.models import OutboxMessage
from aftersales.reviews import ratings
from aftersales.reviews.errors import AlreadyRatedError
from aftersales.reviews.jobs import invite_finished_chats
from aftersales.reviews.models import RatingInvitation, RatingRecovery, RecoveryStatus
from aftersales.tickets import service as tickets
from aftersales.tickets.models import Ticket
from tests.builders import make_bot, make_chat, make_customer, make_order, make_shop, make_user
from tests.builders.tickets import make_ticket

Headers = Callable[..., dict[str, str]]


def _resolve(session: Session, ticket: Ticket) -> None:
    for status in ("in_progress", "resolved"):
        tickets.transition(session, ticket_id=ticket.id, to=status, actor_id=None)


def _invitation_messages(session: Session, invitation: RatingInvitation) -> list[OutboxMessage]:
    statement = select(OutboxMessage).where(
        OutboxMessage.subject_type == "rating_invitation", OutboxMessage.subject_id == invitation.id
    )
    return list(session.scalars(statement.order_by(OutboxMessage.id)))


def _recovery(session: Session, invitation: RatingInvitation) -> RatingRecovery:
    recovery = ratings.recovery_for(session, invitation_id=invitation.id)
    assert recovery is not None
    return recovery


def _chat(session: Session, shop: Shop, key: str = "s1", **overrides: object) -> RatingInvitation:
    customer = make_customer(session, shop=shop)
    fields: dict[str, object] = {
        "shop_id": shop.id,
        "session_key": key,
        "customer_id": customer.id,
        **overrides,
    }
    return ratings.invite_after_chat(session, **fields)  # type: ignore[arg-type]


class TestInvitations:
    def test_a_resolved_ticket_invites_its_customer_through_the_platform_im(self, session: Session) -> None:
        order = make_order(session)
        ticket = make_ticket(session, order=order, customer_id=order.customer_id)
        _resolve(session, ticket)
        invitation = session.scalars(
            select(RatingInvitation).where(RatingInvitation.subject_key == f"ticket:{ticket.id}")
        ).one()
        assert [m.channel for m in _invitation_messages(session, invitation)] == ["platform_im"]

    def test_a_service_without_a_buyer_is_counted_but_not_invited(self, session: Session) -> None:
        invitation = ratings.invite_after_chat(session, shop_id=make_shop(session).id, session_key="anon")
        assert (invitation.invited_at, invitation.skip_reason) == (None, "无买家账号")

    def test_a_buyer_is_invited_at_most_once_a_day(self, session: Session) -> None:
        shop = make_shop(session)
        first = _chat(session, shop, "a")
        second = ratings.invite_after_chat(
            session, shop_id=shop.id, session_key="b", customer_id=first.customer_id
        )
        assert second.skip_reason == "24小时内已邀评"

    def test_the_same_chat_is_registered_once(self, session: Session) -> None:
        shop = make_shop(session)
        first = _chat(session, shop, "same")
        again = ratings.invite_after_chat(session, shop_id=shop.id, session_key="same")
        assert again.id == first.id


class TestRatings:
    def test_a_rating_on_a_ticket_invitation_is_stored_on_the_ticket(self, session: Session) -> None:
        order = make_order(session)
        ticket = make_ticket(session, order=order, customer_id=order.customer_id)
        _resolve(session, ticket)
        invitation = session.scalars(
            select(RatingInvitation).where(RatingInvitation.ticket_id == ticket.id)
        ).one()
        ratings.record_rating(session, invitation_id=invitation.id, stars=5, comment="很满意")
        session.refresh(ticket)
        assert ticket.rating_stars == 5

    def test_a_negative_chat_rating_opens_a_recovery_form_cc_to_the_group_bot(self, session: Session) -> None:
        bot = make_bot(session, group_code="aftersales")
        invitation = _chat(session, make_shop(session))
        ratings.record_rating(session, invitation_id=invitation.id, stars=1, comment="客服态度差")
        recovery = _recovery(session, invitation)
        sent = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.idempotency_key == f"reviews:recovery:{recovery.id}:bot{bot.id}"
            )
        ).one()
        assert "客服态度差" in sent.payload["text"]["content"]

    def test_a_second_rating_without_recovery_is_refused(self, session: Session) -> None:
        invitation = _chat(session, make_shop(session))
        ratings.record_rating(session, invitation_id=invitation.id, stars=5)
        try:
            ratings.record_rating(session, invitation_id=invitation.id, stars=4)
        except AlreadyRatedError:
            return
        raise AssertionError("a second rating was accepted")

    def test_after_recovery_the_customer_is_reinvited_and_the_new_rating_counts(
        self, session: Session
    ) -> None:
        agent = make_user(session)
        invitation = _chat(session, make_shop(session))
        ratings.record_rating(session, invitation_id=invitation.id, stars=1, comment="发错货了")
        recovery = _recovery(session, invitation)
        ratings.close_recovery(
            session, recovery_id=recovery.id, solution="已补发正确商品", recovered=True, actor=agent
        )
        ratings.record_rating(session, invitation_id=invitation.id, stars=5)
        kinds = [m.payload["kind"] for m in _invitation_messages(session, invitation)]
        assert (invitation.stars, invitation.final_stars, recovery.status, kinds) == (
            1,
            5,
            RecoveryStatus.RECOVERED,
            ["rating_invitation", "rating_reinvitation"],
        )


class TestFunnel:
    def test_rates_per_shop_count_invites_ratings_satisfaction_negatives_and_rerating(
        self, session: Session
    ) -> None:
        shop, agent = make_shop(session), make_user(session)
        invited = [_chat(session, shop, f"c{n}") for n in range(4)]
        ratings.invite_after_chat(session, shop_id=shop.id, session_key="no-buyer")
        for invitation, stars in zip(invited[:3], (5, 4, 1), strict=True):
            ratings.record_rating(session, invitation_id=invitation.id, stars=stars)
        recovery = _recovery(session, invited[2])
        ratings.close_recovery(
            session, recovery_id=recovery.id, solution="已退款", recovered=True, actor=agent
        )
        ratings.record_rating(session, invitation_id=invited[2].id, stars=4)
        row = next(r for r in ratings.funnel(session, by="shop") if r.key == str(shop.id))
        assert (
            row.eligible,
            row.invited,
            row.rated,
            row.satisfied,
            row.negative,
            row.rerated,
            row.improved,
        ) == (5, 4, 3, 2, 1, 1, 1)
        assert (row.invite_rate, row.rating_rate, row.negative_rate, row.final_satisfaction_rate) == (
            0.8,
            0.75,
            0.3333,
            1.0,
        )

    def test_the_funnel_is_for_supervisors(self, client: TestClient, auth_headers: Headers) -> None:
        assert client.get("/api/ratings/funnel", headers=auth_headers(Role.AGENT)).status_code == 403

    def test_a_chat_rating_through_the_api(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        shop = make_shop(session)
        customer = make_customer(session, shop=shop)
        headers = auth_headers(Role.AGENT)
        body = {"shop_id": shop.id, "session_key": "api-1", "customer_id": customer.id}
        invitation = client.post("/api/ratings/invitations/chat", json=body, headers=headers).json()
        rated = client.post(
            f"/api/ratings/invitations/{invitation['id']}/rating", json={"stars": 2}, headers=headers
        ).json()
        assert (invitation["invited_at"] is not None, rated["stars"]) == (True, 2)


def _finished_chat_invitation(
    session: Session, agent: User, customer_account: str | None = None
) -> RatingInvitation:
    """The invitation the job registers for a chat without an order the agent served two hours ago."""
    lines = [("customer", 0, "这款有货吗"), ("agent", 30, "有的")]
    start = utcnow() - timedelta(hours=2)
    make_chat(session, lines, start=start, agent_id=agent.id, customer_account=customer_account)
    invite_finished_chats(session)
    return session.scalars(select(RatingInvitation).where(RatingInvitation.agent_id == agent.id)).one()


class TestFinishedChats:
    def test_a_quiet_chat_served_by_an_agent_is_invited_once(self, session: Session) -> None:
        shop, agent = make_shop(session), make_user(session)
        start = utcnow() - timedelta(hours=2)
        lines = [("customer", 0, "什么时候发货"), ("agent", 30, "今天就发")]
        chat = make_chat(session, lines, shop=shop, start=start, agent_id=agent.id)
        first = invite_finished_chats(session)
        again = invite_finished_chats(session)
        key = f"chat:{shop.id}:{chat.session_key}"
        invitation = session.scalars(
            select(RatingInvitation).where(RatingInvitation.subject_key == key)
        ).one()
        assert (first["registered"], again["registered"], invitation.agent_id) == (1, 0, agent.id)

    def test_the_buyer_of_a_chat_without_an_order_is_invited_by_the_account(self, session: Session) -> None:
        invitation = _finished_chat_invitation(session, make_user(session), customer_account="tb_buyer_9")
        assert (invitation.invited_at is not None, invitation.skip_reason) == (True, None)

    def test_a_chat_invitation_carries_the_group_of_the_agents_tickets(self, session: Session) -> None:
        agent = make_user(session)
        for group_code in ("vip", "vip", "aftersales"):
            make_ticket(session, group_code=group_code, assignee_id=agent.id)
        assert _finished_chat_invitation(session, agent).group_code == "vip"

    def test_an_agent_without_tickets_counts_in_the_after_sales_group(self, session: Session) -> None:
        assert _finished_chat_invitation(session, make_user(session)).group_code == "aftersales"

    def test_a_chat_still_going_is_not_invited(self, session: Session) -> None:
        agent = make_user(session)
        make_chat(session, [("customer", 0, "在吗"), ("agent", 5, "在的")], agent_id=agent.id, start=utcnow())
        assert ratings.invite_finished_chats(session) == 0


def test_closing_a_recovery_tells_the_group_what_was_done(session: Session) -> None:
    bot, agent = make_bot(session, group_code="aftersales"), make_user(session)
    invitation = _chat(session, make_shop(session))
    ratings.record_rating(session, invitation_id=invitation.id, stars=2, comment="回复太慢")
    recovery = _recovery(session, invitation)
    ratings.close_recovery(
        session, recovery_id=recovery.id, solution="已致歉并赠送优惠券", recovered=True, actor=agent
    )
    key = f"reviews:recovery-closed:{recovery.id}:bot{bot.id}"
    sent = session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == key)).one()
    assert "已致歉并赠送优惠券" in sent.payload["text"]["content"]
