"""Today's KPIs against targets on a lead's home page (issue: a lead's home said nothing of KPIs)."""

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from aftersales.analytics import service
from aftersales.auth.models import Role
from aftersales.kit.time import SHANGHAI, utcnow
from tests.builders import make_chat_row, make_shop

Headers = Callable[..., dict[str, str]]


def slow_shop_today(session: Session, seconds: int = 45) -> None:
    """A shop whose chats today were answered after ``seconds`` on average."""
    shop = make_shop(session, name="慢回复旗舰店")
    for minutes in (5, 10, 15):
        make_chat_row(
            session,
            shop=shop,
            started_at=utcnow() - timedelta(minutes=minutes),
            first_response_seconds=seconds,
        )


def test_a_shop_slower_than_the_first_response_target_is_below(session: Session) -> None:
    slow_shop_today(session)
    board = service.today_kpis(session, day=utcnow().astimezone(SHANGHAI).date())
    shop, cells = board.rows[0]
    first_response = cells[board.labels.index("平均首响(秒)")]
    assert (shop, first_response.text, first_response.target, first_response.below) == (
        "慢回复旗舰店",
        "45",
        "20",
        True,
    )


def test_a_supervisors_home_shows_the_kpi_card(
    client: TestClient, session: Session, auth_headers: Headers
) -> None:
    slow_shop_today(session)
    page = client.get("/console/", headers=auth_headers(Role.SUPERVISOR))
    card = page.text.split('data-testid="home-kpis"')[1].split("</section>")[0]
    assert "慢回复旗舰店" in card
    assert "未达标" in card


def test_an_agents_home_has_no_kpi_card(client: TestClient, session: Session, auth_headers: Headers) -> None:
    slow_shop_today(session)
    page = client.get("/console/", headers=auth_headers(Role.AGENT))
    assert 'data-testid="home-kpis"' not in page.text
