import gc
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.conversations import service
from aftersales.conversations.models import ChatMessage, ChatSession, Handling
from aftersales.kit.errors import AftersalesError
from aftersales.kit.time import utcnow
from aftersales.orders.models import Customer, Order
from tests.builders import make_chat, make_customer, make_order, make_shop


class TestAppendMessage:
    def test_creates_the_session_and_the_message(self, session: Session) -> None:
        shop = make_shop(session)
        message = service.append_message(
            session,
            shop_id=shop.id,
            platform=shop.platform,
            session_key="s-1",
            sender="customer",
            text="在吗",
            sent_at=utcnow(),
        )
        chat = session.get(ChatSession, message.session_id)
        assert chat is not None
        assert (chat.session_key, chat.customer_messages) == ("s-1", 1)

    def test_is_idempotent_for_the_same_message(self, session: Session) -> None:
        shop = make_shop(session)
        sent = utcnow()
        for _ in range(2):
            service.append_message(
                session,
                shop_id=shop.id,
                platform=shop.platform,
                session_key="s-2",
                sender="customer",
                text="在吗",
                sent_at=sent,
                source_id="m-1",
            )
        assert session.scalar(select(func.count()).select_from(ChatMessage)) == 1

    def test_keeps_session_metrics_current(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "你好"), ("bot", 1, "亲，在的"), ("agent", 45, "您好")])
        assert (chat.first_response_seconds, chat.handling) == (45, Handling.TRANSFERRED)

    def test_stores_the_wait_each_agent_reply_answered(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "你好"), ("agent", 12, "您好")])
        reply = session.scalar(
            select(ChatMessage).where(ChatMessage.session_id == chat.id, ChatMessage.sender == "agent")
        )
        assert reply is not None
        assert reply.response_seconds == 12

    def test_a_reply_s_wait_changes_when_an_earlier_customer_message_arrives_late(
        self, session: Session
    ) -> None:
        shop, start = make_shop(session), utcnow() - timedelta(hours=1)
        chat = make_chat(session, [("customer", 30, "你好"), ("agent", 42, "您好")], shop=shop, start=start)
        make_chat(session, [("customer", 0, "在吗")], shop=shop, start=start, session_key=chat.session_key)
        waits = session.scalars(
            select(ChatMessage.response_seconds).where(
                ChatMessage.session_id == chat.id, ChatMessage.sender == "agent"
            )
        )
        assert list(waits) == [42]


def _order_chats(session: Session, *, hours_apart: int) -> tuple[ChatSession, ChatSession]:
    """Two chats about the same order, the second starting ``hours_apart`` after the first."""
    shop = make_shop(session)
    order = make_order(session, shop=shop)
    start = utcnow() - timedelta(days=3)
    first = make_chat(session, [("customer", 0, "快递到哪了")], shop=shop, order_id=order.id, start=start)
    second = make_chat(
        session,
        [("customer", 0, "还没到")],
        shop=shop,
        order_id=order.id,
        start=start + timedelta(hours=hours_apart),
    )
    session.refresh(first)
    session.refresh(second)
    return first, second


class TestRepeatContact:
    def test_marks_a_session_the_customer_came_back_to_within_24_hours(self, session: Session) -> None:
        first, second = _order_chats(session, hours_apart=20)
        assert (first.repeat_contact, second.repeat_of_session_id) == (True, first.id)

    def test_does_not_mark_a_return_after_24_hours(self, session: Session) -> None:
        first, _second = _order_chats(session, hours_apart=30)
        assert first.repeat_contact is False

    def test_does_not_link_a_return_after_24_hours_to_the_earlier_session(self, session: Session) -> None:
        _first, second = _order_chats(session, hours_apart=30)
        assert second.repeat_of_session_id is None


def order_shop(session: Session, order: Order) -> Shop:
    return session.get_one(Shop, order.shop_id)


class TestCustomer:
    def test_is_the_customer_of_the_linked_order(self, session: Session) -> None:
        order = make_order(session)
        chat = make_chat(
            session, [("customer", 0, "发货了吗")], shop=order_shop(session, order), order_id=order.id
        )
        assert chat.customer_id == order.customer_id

    def test_is_the_known_customer_of_the_buyer_account(self, session: Session) -> None:
        shop = make_shop(session)
        customer = make_customer(session, shop=shop)
        chat = make_chat(session, [("customer", 0, "在吗")], shop=shop, customer_account=customer.source_id)
        assert chat.customer_id == customer.id

    def test_a_new_buyer_account_becomes_one_customer_for_all_its_chats(self, session: Session) -> None:
        shop = make_shop(session)
        chats = [
            make_chat(session, [("customer", 0, "在吗")], shop=shop, customer_account="jd_new_7")
            for _ in "ab"
        ]
        customers = session.scalars(select(Customer).where(Customer.source_id == "jd_new_7")).all()
        assert ([c.customer_id for c in chats], len(customers)) == ([customers[0].id] * 2, 1)


class TestHandOverMarker:
    def test_marked_session_counts_as_transferred_without_an_agent_message(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "你好"), ("bot", 1, "已为您转接人工")])
        assert chat.handling == Handling.BOT_ONLY
        service.mark_handed_over(
            session, shop_id=chat.shop_id, session_key=chat.session_key, at=chat.ended_at
        )
        session.refresh(chat)
        assert (chat.handling, chat.transferred_at) == (Handling.TRANSFERRED, chat.ended_at)

    def test_marker_survives_later_messages(self, session: Session) -> None:
        chat = make_chat(session, [("customer", 0, "你好"), ("bot", 1, "已为您转接人工")])
        marked_at = chat.ended_at
        service.mark_handed_over(session, shop_id=chat.shop_id, session_key=chat.session_key, at=marked_at)
        service.append_message(
            session,
            shop_id=chat.shop_id,
            platform=chat.platform,
            session_key=chat.session_key,
            sender="customer",
            text="还在吗",
            sent_at=marked_at + timedelta(seconds=30),
        )
        session.refresh(chat)
        assert (chat.handling, chat.transferred_at) == (Handling.TRANSFERRED, marked_at)


class TestCollector:
    def test_runs_again_after_a_batch_is_ingested(self, session: Session) -> None:
        make_chat(session, [("customer", 0, "在吗"), ("agent", 5, "您好")])
        assert gc.isenabled()

    def test_runs_again_after_a_refused_batch(self, session: Session) -> None:
        shop = make_shop(session)
        with pytest.raises(AftersalesError):
            service.append_message(
                session,
                shop_id=shop.id + 1000,
                platform=shop.platform,
                session_key="s-9",
                sender="customer",
                text="在吗",
                sent_at=utcnow(),
            )
        assert gc.isenabled()
