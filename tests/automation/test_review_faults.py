"""A reply draft never denies a product fault the review names, and the review reaches a
supervisor as a product-quality ticket."""

from sqlalchemy.orm import Session

from aftersales.reviews.service import get_reply
from aftersales.tickets.models import Ticket
from tests.builders.reviews import make_review


def test_a_dead_pixel_review_gets_a_draft_that_owns_the_fault(session: Session) -> None:
    review = make_review(session, stars=1, text="屏幕坏点,画面也不清楚,太失望了")
    reply = get_reply(session, review.id)
    assert reply is not None
    assert "不属于产品故障" not in reply.text
    assert "擦拭镜头" not in reply.text
    assert "关于您提到的「坏点」,这是商品本身的问题,是我们的责任,非常抱歉!" in reply.text


def test_the_fault_review_opens_a_quality_ticket_for_the_supervisors(session: Session) -> None:
    review = make_review(session, stars=1, text="屏幕坏点,画面也不清楚,太失望了")
    ticket = session.get_one(Ticket, review.ticket_id)
    assert (ticket.category, ticket.subcategory) == ("商品问题", "质量问题")


def test_a_review_blaming_the_network_keeps_the_environment_explanation(session: Session) -> None:
    review = make_review(session, stars=2, text="画面不清楚,经常卡")
    reply = get_reply(session, review.id)
    assert reply is not None
    assert "坏点" not in reply.text
    assert "这是商品本身的问题" not in reply.text
