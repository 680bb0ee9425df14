"""The home page shows each role what needs doing now, every number linking to its filtered list;
the navigation is grouped by work and follows the role."""

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.kit.time import utcnow
from aftersales.tickets.models import Handoff, Shift, Ticket
from tests.builders import make_shop, make_ticket, make_user
from tests.builders.auth import PASSWORD


def sign_in(client: TestClient, user: User) -> None:
    client.post("/console/login", data={"username": user.username, "password": PASSWORD})


def hand_over(session: Session, ticket: Ticket, *, from_user: User, to_user: User) -> None:
    early = Shift(code="h-early", name="早", start_minute=480, end_minute=960)
    late = Shift(code="h-late", name="晚", start_minute=960, end_minute=1440)
    session.add_all([early, late])
    session.flush()
    ticket.assignee_id = from_user.id
    session.add(
        Handoff(
            ticket_id=ticket.id,
            shift_day="2026-12-07",
            from_shift_id=late.id,
            to_shift_id=early.id,
            from_user_id=from_user.id,
            to_user_id=to_user.id,
        )
    )
    session.flush()


def tile(page: str, href: str) -> str:
    """The number of the tile linking to ``href``."""
    start = page.index(f'href="{href}" data-testid="tile"')
    return page[page.index("<strong>", start) + 8 : page.index("</strong>", start)]


def test_an_agents_home_counts_their_queue_and_what_was_handed_to_them(
    client: TestClient, session: Session
) -> None:
    agent, evening = make_user(session, role=Role.AGENT), make_user(session, role=Role.AGENT)
    shop = make_shop(session)
    make_ticket(session, shop=shop).assignee_id = agent.id
    hand_over(session, make_ticket(session, shop=shop), from_user=evening, to_user=agent)
    sign_in(client, agent)
    page = client.get("/console/").text
    assert tile(page, "/console/tickets?mine=true") == "2"  # handed over counts as mine
    assert tile(page, "/console/tickets?handed_to_me=true") == "1"
    assert "已超时工单" not in page


def test_my_queue_lists_tickets_handed_to_me_before_i_take_them_over(
    client: TestClient, session: Session
) -> None:
    agent, evening = make_user(session, role=Role.AGENT), make_user(session, role=Role.AGENT)
    ticket = make_ticket(session)
    hand_over(session, ticket, from_user=evening, to_user=agent)
    sign_in(client, agent)
    rows = client.get("/console/tickets?mine=true", headers={"HX-Request": "true"}).text
    assert f'href="/console/tickets/{ticket.id}"' in rows


def test_a_supervisors_home_counts_sla_breaches_and_links_to_them(
    client: TestClient, session: Session
) -> None:
    lead = make_user(session, role=Role.SUPERVISOR)
    make_ticket(session, now=utcnow() - timedelta(days=3))
    sign_in(client, lead)
    page = client.get("/console/").text
    assert tile(page, "/console/tickets?sla=breached") == "1"
    assert tile(page, "/console/returns/approvals") == "0"
    assert "我的即将超时" not in page


def test_navigation_is_grouped_by_work_and_follows_the_role(client: TestClient, session: Session) -> None:
    sign_in(client, make_user(session, role=Role.AGENT))
    page = client.get("/console/").text
    groups = [g for g in ("工单", "物流", "售后", "质检", "评价", "数据", "设置") if f"<b>{g}</b>" in page]
    assert groups == ["工单", "物流", "售后", "质检", "评价", "数据"]  # 设置 holds admin and lead pages only
    assert "/console/audit" not in page


def test_the_browser_finds_a_favicon(client: TestClient) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
