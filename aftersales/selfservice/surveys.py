"""The after-delivery survey behind ``survey_link``: the care message's invitation leads here, and
a low score reaches the team as a ticket instead of staying a number."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.time import utcnow
from aftersales.selfservice import integrations
from aftersales.selfservice.models import PortalSurvey
from aftersales.selfservice.schemas import SurveyAnswer
from aftersales.selfservice.service import get_order

LOW_STARS = 2


def answer_of(session: Session, order_id: int) -> PortalSurvey | None:
    return session.scalar(select(PortalSurvey).where(PortalSurvey.order_id == order_id))


def record(session: Session, *, order_id: int, data: SurveyAnswer) -> PortalSurvey:
    """One answer per order; answering again replaces it. 1-2 stars open (or update) one ticket."""
    order = get_order(session, order_id)
    answer = answer_of(session, order_id)
    if answer is None:
        answer = PortalSurvey(order_id=order.id, shop_id=order.shop_id, stars=data.stars)
        session.add(answer)
    answer.stars, answer.comment, answer.answered_at = data.stars, data.comment, utcnow()
    session.flush()
    if data.stars <= LOW_STARS:
        integrations.open_ticket(
            session,
            source="selfservice",
            source_key=f"portal-survey:{order.id}",
            shop_id=order.shop_id,
            order_id=order.id,
            customer_id=order.customer_id,
            type="complaint",
            category="服务问题",
            subcategory=None,
            title=f"[回访]{data.stars}星评价: 订单 {order.source_id}",
            description=data.comment or "顾客在服务评价中打了低分,未留言",
            severity="medium",
            group_code=None,
            data={"survey_id": answer.id, "stars": data.stars},
        )
    return answer
