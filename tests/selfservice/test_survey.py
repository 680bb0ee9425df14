"""The survey behind survey_link: the care message's link opens it, an answer is kept once per
order, and a low score reaches the team as a ticket."""

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.logistics.defaults import ensure_defaults
from aftersales.messaging.models import OutboxMessage
from aftersales.messaging.service import send_customer_message
from aftersales.selfservice.models import PortalSurvey
from aftersales.tickets.models import Ticket
from tests.builders import make_order


def survey_link(session: Session, order_id: int) -> str:
    ensure_defaults(session)
    send_customer_message(session, order_id=order_id, template_code="care_feedback", idempotency_key="care")
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key == "care")).one()
    return str(message.payload["text"]).rsplit(": ", 1)[1].removeprefix("http://127.0.0.1:8000")


def test_the_care_message_links_to_the_orders_survey(session: Session, client: TestClient) -> None:
    order = make_order(session)
    page = client.get(survey_link(session, order.id))
    assert page.status_code == 200
    assert f"服务评价 · 订单 {order.source_id}" in page.text


def test_a_second_answer_replaces_the_first(session: Session, client: TestClient) -> None:
    order = make_order(session)
    client.get(survey_link(session, order.id))
    client.post("/portal/survey", data={"stars": "3"})
    client.post("/portal/survey", data={"stars": "5", "comment": "很满意"})
    answers = session.scalars(select(PortalSurvey).where(PortalSurvey.order_id == order.id)).all()
    assert [(a.stars, a.comment) for a in answers] == [(5, "很满意")]


def test_one_star_opens_a_ticket_with_the_comment(session: Session, client: TestClient) -> None:
    order = make_order(session)
    client.get(survey_link(session, order.id))
    thanks = client.post("/portal/survey", data={"stars": "1", "comment": "客服态度太差"})
    assert "我们已安排客服跟进" in thanks.text
    ticket = session.scalars(select(Ticket).where(Ticket.order_id == order.id)).one()
    assert (ticket.title, ticket.description) == (f"[回访]1星评价: 订单 {order.source_id}", "客服态度太差")


def test_six_stars_is_a_422_naming_the_field(session: Session, client: TestClient) -> None:
    order = make_order(session)
    client.get(survey_link(session, order.id))
    response = client.post("/portal/survey", data={"stars": "6"})
    assert response.status_code == 422
    assert 'id="stars-error"' in response.text
