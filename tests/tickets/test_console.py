"""Console pages render real data and their forms work (the browser tests cover the clicks)."""

from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.tickets.feedback import raise_feedback
from aftersales.tickets.models import FeedbackItem, Ticket, TicketStatus
from aftersales.tickets.service import group_by_code, schedule_follow_up
from tests.builders import make_event, make_order, make_shipment
from tests.builders.tickets import make_rule, make_ticket

Headers = Callable[..., dict[str, str]]


class TestQueuePage:
    def test_queue_lists_open_tickets_with_their_sla_state(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session, title="杯子破损待处理")
        page = client.get("/console/tickets", headers=auth_headers(Role.AGENT))
        assert page.status_code == 200
        assert f'data-ticket="{ticket.id}"' in page.text
        assert 'data-sla="ok"' in page.text

    def test_htmx_filter_returns_only_the_rows(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        make_ticket(session)
        page = client.get(
            "/console/tickets?sla=breached", headers={**auth_headers(Role.AGENT), "HX-Request": "true"}
        )
        assert page.text.lstrip().startswith("<table")


class TestCreateFromOrder:
    def test_order_lookup_offers_one_click_types(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        page = client.get(
            f"/console/tickets/new?order_no={order.source_id}", headers=auth_headers(Role.AGENT)
        )
        assert 'data-testid="order-found"' in page.text
        assert "退货·质量问题" in page.text

    def test_one_click_creates_the_ticket_assigned_to_me_and_opens_it(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        form = {"order_id": order.id, "type": "return", "category": "商品问题", "subcategory": "质量问题"}
        response = client.post(
            "/console/tickets/new", data=form, headers=auth_headers(Role.AGENT), follow_redirects=False
        )
        ticket = session.scalars(select(Ticket).where(Ticket.order_id == order.id)).one()
        assert response.headers["location"] == f"/console/tickets/{ticket.id}"
        assert (ticket.title, ticket.assignee_id is not None) == (
            f"退货·质量问题:订单 {order.source_id}",
            True,
        )

    def test_one_click_files_a_missing_gift_under_its_own_category(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        headers = auth_headers(Role.AGENT)
        assert (
            "补发·赠品漏发" in client.get(f"/console/tickets/new?order_id={order.id}", headers=headers).text
        )
        form = {"order_id": order.id, "type": "reshipment", "category": "商品问题", "subcategory": "赠品漏发"}
        client.post("/console/tickets/new", data=form, headers=headers, follow_redirects=False)
        ticket = session.scalars(select(Ticket).where(Ticket.order_id == order.id)).one()
        assert (ticket.subcategory, ticket.title) == ("赠品漏发", f"补发·赠品漏发:订单 {order.source_id}")

    def test_order_page_links_to_the_create_form_prefilled_for_that_order(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        headers = auth_headers(Role.AGENT)
        order_page = client.get(f"/console/orders/{order.id}", headers=headers).text
        form = client.get(f"/console/tickets/new?order_id={order.id}", headers=headers).text
        assert f'href="/console/tickets/new?order_id={order.id}"' in order_page
        assert 'data-testid="order-found"' in form
        assert f'name="order_id" value="{order.id}"' in form


class TestDetailPage:
    def test_detail_shows_the_order_parcels_and_tracking_beside_the_ticket(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        order = make_order(session)
        make_event(
            session, shipment=make_shipment(session, order=order), raw_text="快件已到达【杭州转运中心】"
        )
        ticket = make_ticket(session, order=order)
        page = client.get(f"/console/tickets/{ticket.id}", headers=auth_headers(Role.AGENT))
        assert 'data-testid="ticket-order"' in page.text
        assert "杭州转运中心" in page.text
        assert "138****5678" in page.text

    def test_reply_form_adds_to_the_timeline(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session)
        headers = auth_headers(Role.AGENT)
        client.post(f"/console/tickets/{ticket.id}/comment", data={"text": "已安排补发"}, headers=headers)
        page = client.get(f"/console/tickets/{ticket.id}", headers=headers)
        assert "已安排补发" in page.text

    def test_invalid_transition_renders_the_error_page(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session)
        page = client.post(
            f"/console/tickets/{ticket.id}/transition",
            data={"to": "closed"},
            headers=auth_headers(Role.AGENT),
        )
        assert page.status_code == 409
        assert "不能从「新建」变为「已关闭」" in page.text


class TestBoards:
    def test_handoff_board_renders_the_shifts(self, client: TestClient, auth_headers: Headers) -> None:
        page = client.get("/console/tickets/handoffs", headers=auth_headers(Role.SUPERVISOR))
        assert ("早班" in page.text, 'data-shift="morning"' in page.text) == (True, True)

    def test_agents_do_not_see_the_run_handoff_button(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        page = client.get("/console/tickets/handoffs", headers=auth_headers(Role.AGENT))
        assert 'data-shift="morning"' not in page.text

    def test_feedback_board_groups_by_sku_and_answer_goes_back(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session)
        item = raise_feedback(
            session,
            ticket_id=ticket.id,
            department="warehouse",
            content="连续错发",
            actor_id=None,
            sku_code="CUP-1",
        )
        headers = auth_headers(Role.AGENT)
        page = client.get("/console/tickets/feedback?department=warehouse", headers=headers)
        client.post(
            f"/console/tickets/feedback/{item.id}/answer", data={"answer": "已调整库位"}, headers=headers
        )
        session.expire_all()
        assert "CUP-1 · 商品问题" in page.text
        assert session.get(FeedbackItem, item.id).status == "answered"  # type: ignore[union-attr]

    def test_feedback_board_acknowledges_answers_and_closes(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session)
        item = raise_feedback(
            session, ticket_id=ticket.id, department="design", content="详情页尺寸标错", actor_id=None
        )
        headers = auth_headers(Role.AGENT)
        base = f"/console/tickets/feedback/{item.id}"
        opened = client.get("/console/tickets/feedback?department=design", headers=headers).text
        client.post(f"{base}/acknowledge", headers=headers)
        client.post(f"{base}/answer", data={"answer": "已改为 40cm"}, headers=headers)
        answered = client.get("/console/tickets/feedback?department=design", headers=headers).text
        client.post(f"{base}/close", headers=headers)
        closed = client.get("/console/tickets/feedback?department=design", headers=headers).text
        assert (f"{base}/acknowledge" in opened, "已改为 40cm" in answered, f"{base}/close" in closed) == (
            True,
            True,
            False,
        )


class TestAssignForm:
    def test_reassign_form_changes_the_assignee(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        from tests.builders import make_user

        ticket = make_ticket(session)
        colleague = make_user(session)
        form = {"assignee_id": str(colleague.id), "group_code": ""}
        response = client.post(
            f"/console/tickets/{ticket.id}/assign",
            data=form,
            headers=auth_headers(Role.AGENT),
            follow_redirects=False,
        )
        session.expire_all()
        assert (response.status_code, session.get(Ticket, ticket.id).assignee_id) == (303, colleague.id)  # type: ignore[union-attr]


class TestDetailWords:
    def test_a_resolved_ticket_offers_one_reopen_and_a_close(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        ticket = make_ticket(session)
        ticket.status = TicketStatus.RESOLVED
        page = client.get(f"/console/tickets/{ticket.id}", headers=auth_headers(Role.AGENT)).text
        assert page.count(">重新打开</button>") == 1
        assert ">转为已关闭</button>" in page

    def test_the_timeline_names_the_copied_group_and_shows_follow_up_in_shanghai_time(
        self, client: TestClient, session: Session, auth_headers: Headers
    ) -> None:
        group_by_code(session, "supervisors")
        make_rule(session, cc_group_code="supervisors")
        ticket = make_ticket(session)
        schedule_follow_up(
            session, ticket_id=ticket.id, actor_id=None, at=datetime(2026, 11, 21, 4, 13, tzinfo=UTC)
        )
        page = client.get(f"/console/tickets/{ticket.id}", headers=auth_headers(Role.AGENT)).text
        assert "已抄送 supervisors" not in page
        assert "已抄送 主管" in page
        assert "预约跟进 2026-11-21 12:13" in page


class TestSubcategoryChoices:
    """二级分类 follows the chosen 一级分类 (the form once listed every category's children)."""

    def test_a_category_offers_only_its_own_subcategories(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        options = client.get(
            "/console/tickets/new/subcategories?category=物流问题", headers=auth_headers()
        ).text
        assert "丢件" in options
        assert "质量问题" not in options

    def test_the_form_starts_with_the_first_categorys_subcategories(
        self, client: TestClient, auth_headers: Headers
    ) -> None:
        form = client.get("/console/tickets/new", headers=auth_headers()).text
        choices = form.split('id="subcategory">')[1].split("</select>")[0]
        assert "质量问题" in choices
        assert "丢件" not in choices
