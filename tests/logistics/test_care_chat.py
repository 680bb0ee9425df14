"""Care replies from real chat messages: conversations publishes, logistics records the reply."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.conversations import service as chats
from aftersales.logistics import care
from aftersales.logistics.defaults import ensure_defaults
from aftersales.logistics.models import CareMessage, CareStatus, CareStep
from aftersales.orders.models import Customer, Order
from aftersales.tickets.models import Ticket
from tests.builders import make_care_step, make_order, make_parcel

DELIVERED = datetime(2026, 11, 13, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
SENT = DELIVERED + timedelta(hours=25)


def cared_order(session: Session) -> Order:
    """An order whose 签收关怀 went out at ``SENT``."""
    ensure_defaults(session)
    order = make_order(session)
    make_parcel(
        session,
        order=order,
        shipped_at=DELIVERED - timedelta(days=2),
        timeline=[
            (DELIVERED - timedelta(days=2), "【杭州】快件已揽收", "杭州"),
            (DELIVERED, "已签收", "北京"),
        ],
    )
    care.schedule(session, now=DELIVERED)
    care.send_due(session, now=SENT)
    return order


def say(
    session: Session, order: Order, text: str, *, at: datetime, sender: str = "customer", **extra: object
) -> None:
    shop = session.get(Shop, order.shop_id)
    assert shop is not None
    chats.append_message(
        session,
        shop_id=shop.id,
        platform=shop.platform,
        session_key=f"care-chat-{order.id}",
        sender=sender,
        text=text,
        sent_at=at,
        **extra,  # type: ignore[arg-type]
    )


def step(session: Session, order: Order, which: CareStep = CareStep.CARE) -> CareMessage:
    found = session.scalar(
        select(CareMessage).where(CareMessage.order_id == order.id, CareMessage.step == which)
    )
    assert found is not None
    return found


class TestChatReplies:
    def test_a_buyers_message_on_the_order_is_the_care_reply(self, session: Session) -> None:
        order = cared_order(session)
        say(session, order, "收到了,包装很好", at=SENT + timedelta(hours=2), order_id=order.id)
        assert (step(session, order).status, step(session, order).reply_text) == (
            CareStatus.REPLIED,
            "收到了,包装很好",
        )

    def test_a_message_from_the_buyers_account_without_an_order_is_matched_by_account(
        self, session: Session
    ) -> None:
        order = cared_order(session)
        customer = session.get(Customer, order.customer_id)
        assert customer is not None
        say(session, order, "挺好用的", at=SENT + timedelta(hours=3), customer_account=customer.source_id)
        assert step(session, order).reply_text == "挺好用的"

    def test_a_negative_chat_reply_opens_a_ticket(self, session: Session) -> None:
        order = cared_order(session)
        say(session, order, "杯盖漏水,质量太差了", at=SENT + timedelta(hours=1), order_id=order.id)
        ticket = session.get(Ticket, step(session, order).ticket_id)
        assert ticket is not None
        assert step(session, order, CareStep.USAGE).status == CareStatus.CANCELLED

    def test_only_the_first_message_is_the_reply(self, session: Session) -> None:
        order = cared_order(session)
        say(session, order, "收到了", at=SENT + timedelta(hours=1), order_id=order.id)
        say(session, order, "对了,发票什么时候开", at=SENT + timedelta(hours=2), order_id=order.id)
        assert step(session, order).reply_text == "收到了"

    def test_an_agents_message_is_not_a_reply(self, session: Session) -> None:
        order = cared_order(session)
        say(
            session,
            order,
            "亲,商品用得还好吗",
            at=SENT + timedelta(hours=1),
            sender="agent",
            order_id=order.id,
        )
        assert step(session, order).status == CareStatus.SENT

    def test_a_message_long_after_the_step_is_ordinary_chat(self, session: Session) -> None:
        order = cared_order(session)
        say(session, order, "再买一个", at=SENT + care.REPLY_WINDOW + timedelta(hours=1), order_id=order.id)
        assert step(session, order).status == CareStatus.SENT

    def test_a_message_before_any_step_was_sent_is_not_a_reply(self, session: Session) -> None:
        order = cared_order(session)
        say(session, order, "什么时候到", at=SENT - timedelta(hours=30), order_id=order.id)
        assert step(session, order).status == CareStatus.SENT


def care_panel_url(order: Order) -> str:
    return f"/console/logistics/panels/order/{order.id}/care"


class TestCareRecordPanel:
    def test_the_order_page_loads_the_care_record_panel(
        self, client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        order = cared_order(session)
        page = client.get(f"/console/orders/{order.id}", headers=auth_headers())
        assert f'hx-get="{care_panel_url(order)}"' in page.text
        assert 'data-panel="签收回访记录"' in page.text

    def test_the_panel_shows_the_buyers_care_record_and_reads_bad_on_a_negative_reply(
        self, client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        order = cared_order(session)
        say(session, order, "杯盖漏水,质量太差了", at=SENT + timedelta(hours=1), order_id=order.id)
        panel = client.get(care_panel_url(order), headers=auth_headers())
        assert 'data-testid="care-record"' in panel.text
        assert "杯盖漏水" in panel.text
        assert "负面" in panel.text
        assert 'data-tone="bad"' in panel.text

    def test_a_record_without_negative_replies_reads_plain(
        self, client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        order = cared_order(session)
        panel = client.get(care_panel_url(order), headers=auth_headers())
        assert 'data-testid="care-record"' in panel.text
        assert "data-tone" not in panel.text

    def test_a_buyer_without_a_care_record_gets_no_panel(
        self, client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        order = make_order(session)
        panel = client.get(care_panel_url(order), headers=auth_headers())
        assert panel.status_code == 200
        assert panel.text == ""

    def test_an_unknown_order_gets_no_panel(
        self, client: TestClient, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        panel = client.get("/console/logistics/panels/order/987654/care", headers=auth_headers())
        assert panel.status_code == 200
        assert panel.text == ""


def customer_of(session: Session, order: Order) -> Customer:
    customer = session.get(Customer, order.customer_id)
    assert customer is not None
    return customer


class TestCarePanelLength:
    """A repeat buyer's record is capped on the page; this order's steps always stay in it."""

    @staticmethod
    def steps(count: int, *, order_id: int) -> list[CareMessage]:
        return [
            CareMessage(id=order_id * 100 + n, order_id=order_id, due_at=SENT - timedelta(days=n))
            for n in range(count)
        ]

    def test_the_panel_keeps_this_orders_steps_and_the_latest_others(self) -> None:
        older_own = self.steps(1, order_id=1)
        older_own[0].due_at = SENT - timedelta(days=400)
        record = self.steps(14, order_id=2) + older_own
        shown = care.panel_steps(record, order_id=1)
        assert (len(shown), shown[-1].order_id) == (care.PANEL_STEPS, 1)

    @pytest.fixture
    def order(self, session: Session) -> Order:
        """An order of a buyer with more care steps on other orders than the panel shows."""
        order = cared_order(session)
        for n in range(care.PANEL_STEPS + 2):
            make_care_step(session, customer=customer_of(session, order), due_at=SENT - timedelta(days=n + 1))
        return order

    def test_the_panel_offers_the_rest_of_a_long_record(
        self, client: TestClient, session: Session, order: Order, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        total = len(care.history(session, customer_id=order.customer_id))
        panel = client.get(care_panel_url(order), headers=auth_headers())
        assert panel.text.count("<tr") - 1 == care.PANEL_STEPS
        assert f"另有 {total - care.PANEL_STEPS} 条较早记录" in panel.text

    def test_show_all_lists_the_whole_record(
        self, client: TestClient, session: Session, order: Order, auth_headers: Callable[..., dict[str, str]]
    ) -> None:
        total = len(care.history(session, customer_id=order.customer_id))
        panel = client.get(care_panel_url(order) + "?all=true", headers=auth_headers())
        assert panel.text.count("<tr") - 1 == total
