"""Migration 2202_survey moves each one-question answer (portal_surveys) into an order invitation
with its answers, keeping the wording the buyer read; the downgrade puts them back."""

from pathlib import Path

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from aftersales.db import make_engine
from aftersales.migrate import downgrade, upgrade
from aftersales.selfservice.survey_models import SurveyAnswer, SurveyInvitation
from tests.builders import make_order
from tests.databases import fresh_database


def _old_answers(url: str) -> tuple[int, int]:
    """Two orders answered in the old table (4 stars with a comment, 1 star without)."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            first, second = make_order(session), make_order(session)
            rows = [(first.id, first.shop_id, 4, "包装很好"), (second.id, second.shop_id, 1, None)]
            for order_id, shop_id, stars, comment in rows:
                session.execute(
                    text(
                        "INSERT INTO portal_surveys (order_id, shop_id, stars, comment, answered_at) "
                        "VALUES (:o, :s, :stars, :c, CURRENT_TIMESTAMP)"
                    ),
                    {"o": order_id, "s": shop_id, "stars": stars, "c": comment},
                )
            session.commit()
            return first.id, second.id
    finally:
        engine.dispose()


def test_old_answers_become_order_invitations_and_come_back(tmp_path: Path) -> None:
    with fresh_database(tmp_path) as url:
        downgrade(url, "0602_automation")
        first, second = _old_answers(url)
        upgrade(url)
        engine = make_engine(url)
        try:
            with Session(engine) as session:
                invitations = session.scalars(
                    select(SurveyInvitation).order_by(SurveyInvitation.order_id)
                ).all()
                assert [(i.subject_key, i.overall_stars) for i in invitations] == [
                    (f"order:{first}", 4),
                    (f"order:{second}", 1),
                ]
                answers = session.scalars(
                    select(SurveyAnswer)
                    .where(SurveyAnswer.invitation_id == invitations[0].id)
                    .order_by(SurveyAnswer.position)
                ).all()
                assert [(a.question_text, a.stars, a.text) for a in answers] == [
                    ("您对本次购物和服务满意吗?", 4, None),
                    ("想对我们说的话", None, "包装很好"),
                ]
        finally:
            engine.dispose()
        downgrade(url, "0602_automation")
        engine = make_engine(url)
        try:
            with engine.connect() as connection:
                back = connection.execute(
                    text("SELECT order_id, stars, comment FROM portal_surveys ORDER BY order_id")
                ).all()
            assert [tuple(r) for r in back] == [(first, 4, "包装很好"), (second, 1, None)]
        finally:
            engine.dispose()
