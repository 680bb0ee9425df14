"""Quick replies suggested in the ticket detail view and the QC chat view, through the
detail-page panel extension point (tickets and qc never import selfservice)."""

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.selfservice import bot
from aftersales.selfservice.models import QuickReplyUse
from aftersales.web.panels import Panel, panels_for, register_panel
from tests.builders import make_chat, make_order, make_quick_reply, make_ticket

PARCEL_SNIPPET = "亲,订单 {{ order_no }} 正在配送中"


def test_registering_the_same_panel_twice_keeps_one() -> None:
    panel = Panel("测试面板", "/console/x/{ticket_id}")
    register_panel("test_page", panel)
    register_panel("test_page", panel)
    assert panels_for("test_page") == [panel]


class TestTicketView:
    def test_ticket_page_loads_the_suggestions_panel(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        ticket = make_ticket(session)
        page = client.get(f"/console/tickets/{ticket.id}", headers=auth_headers(Role.AGENT))
        assert f'hx-get="/console/selfservice/panels/ticket/{ticket.id}"' in page.text

    def test_panel_suggests_by_the_intent_recorded_at_hand_over(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        make_quick_reply(session, shortcut="wlp1", body=PARCEL_SNIPPET)
        order = make_order(session)
        reply = bot.ask(
            session, text="客服态度太差了,我的快递到底到哪了", session_key="sg1", order_id=order.id
        )
        panel = client.get(f"/console/selfservice/panels/ticket/{reply.ticket_id}", headers=auth_headers())
        assert "物流查询" in panel.text
        assert '<section class="card" data-panel="推荐话术"' in panel.text  # the whole card (outerHTML swap)
        assert "/wlp1" in panel.text

    def test_panel_previews_the_snippet_with_the_orders_variables(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        make_quick_reply(session, shortcut="wlp2", body=PARCEL_SNIPPET)
        order = make_order(session)
        ticket = make_ticket(session, order=order, title="快递到哪了", description="顾客问包裹什么时候到")
        panel = client.get(f"/console/selfservice/panels/ticket/{ticket.id}", headers=auth_headers())
        assert f"亲,订单 {order.source_id} 正在配送中" in panel.text

    def test_using_a_suggestion_counts_it_against_the_snippet_and_the_ticket(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        snippet = make_quick_reply(session, shortcut="wlp3", body=PARCEL_SNIPPET)
        order = make_order(session)
        ticket = make_ticket(session, order=order)
        response = client.post(
            f"/console/selfservice/quick-replies/{snippet.id}/use",
            data={"order_id": str(order.id), "ticket_id": str(ticket.id)},
            headers=auth_headers(),
        )
        assert order.source_id in response.text
        use = session.scalars(select(QuickReplyUse).where(QuickReplyUse.quick_reply_id == snippet.id)).one()
        assert use.ticket_id == ticket.id
        session.refresh(snippet)
        assert snippet.usage_count == 1


class TestChatView:
    def test_qc_session_page_loads_the_suggestions_panel(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        chat = make_chat(session, [("customer", 0, "我的快递到哪了")])
        page = client.get(f"/console/qc/sessions/{chat.id}", headers=auth_headers(Role.SUPERVISOR))
        assert f'hx-get="/console/selfservice/panels/chat/{chat.id}"' in page.text

    def test_panel_suggests_by_the_customers_last_message(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        make_quick_reply(
            session, shortcut="fp7", scenario="invoice", title="发票登记", body="亲,请登记发票抬头"
        )
        chat = make_chat(
            session, [("customer", 0, "在吗"), ("agent", 20, "您好"), ("customer", 40, "可以开发票吗")]
        )
        panel = client.get(f"/console/selfservice/panels/chat/{chat.id}", headers=auth_headers())
        assert "/fp7" in panel.text
        assert "亲,请登记发票抬头" in panel.text
