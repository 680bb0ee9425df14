import itertools
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.orders.models import Order, OrderItem
from aftersales.selfservice import knowledge, service, survey_questions
from aftersales.selfservice.knowledge_models import KnowledgeArticle
from aftersales.selfservice.models import PortalRequest, QuickReply
from aftersales.selfservice.quickreplies import create
from aftersales.selfservice.schemas import InvoiceRegistration, QuickReplyIn
from aftersales.selfservice.survey_models import SurveyAnswer, SurveyInvitation

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def make_quick_reply(session: Session, **overrides: Any) -> QuickReply:
    fields: dict[str, Any] = {
        "scenario": "where_is_parcel",
        "shortcut": f"wl{overrides.pop('n', '')}",
        "title": "物流查询",
        "body": "亲,订单 {{ order_no }} 的运单号是 {{ tracking_no }}",
        "keywords": ["物流", "快递"],
        **overrides,
    }
    return create(session, data=QuickReplyIn(**fields))


def make_item(session: Session, *, order: Order, **overrides: Any) -> OrderItem:
    """One line of ``order`` (numbered after its existing lines)."""
    count = len(session.scalars(select(OrderItem.id).where(OrderItem.order_id == order.id)).all())
    fields: dict[str, Any] = {
        "line_no": count + 1,
        "title": "保温杯 500ml",
        "quantity": 1,
        "unit_price_fen": 9900,
    }
    item = OrderItem(order_id=order.id, **{**fields, **overrides})
    session.add(item)
    session.flush()
    return item


def make_article(session: Session, **overrides: Any) -> KnowledgeArticle:
    """A knowledge-base article at version 1 (a default policy unless told otherwise)."""
    fields: dict[str, Any] = {
        "shop_id": None,
        "kind": "policy",
        "title": "七天无理由退货政策",
        "body": "签收后七天内商品完好可申请无理由退货,退货运费由买家承担,质量问题运费由我们承担。",
        "author_id": None,
        **overrides,
    }
    return knowledge.create(session, **fields)


COMPANY_TAX_ID = "91350100M000100Y43"


def make_invoice_registration(session: Session, *, order: Order, **overrides: Any) -> PortalRequest:
    """A company invoice registration of ``order`` made through the portal's service."""
    fields: dict[str, Any] = {
        "invoice_type": "company",
        "title": "杭州某某科技有限公司",
        "tax_id": COMPANY_TAX_ID,
    }
    data = InvoiceRegistration(**{**fields, **overrides})
    return service.submit_invoice(session, order_id=order.id, data=data)


_survey_seq = itertools.count(1)


def make_survey(
    session: Session,
    *,
    shop: Shop,
    answered_at: datetime,
    answers: dict[str, int | bool | str],
    agent_id: int | None = None,
    subject: str = "ticket",
) -> SurveyInvitation:
    """An answered survey: ``answers`` maps a question of the shop's questionnaire to its answer
    (stars as an int, 是/否 as a bool, a 留言 as text)."""
    questions = {q.text: q for q in survey_questions.questionnaire(session, shop.id)}
    overall = next(v for t, v in answers.items() if questions[t].kind == "overall")
    invitation = SurveyInvitation(
        subject_kind=subject,
        subject_key=f"{subject}:{next(_survey_seq) + 900000}",
        shop_id=shop.id,
        agent_id=agent_id,
        answered_at=answered_at,
        overall_stars=overall,
    )
    session.add(invitation)
    session.flush()
    for text, value in answers.items():
        question = questions[text]
        session.add(
            SurveyAnswer(
                invitation_id=invitation.id,
                question_id=question.id,
                position=question.position,
                kind=question.kind,
                question_text=text,
                stars=value if isinstance(value, int) and not isinstance(value, bool) else None,
                yes=value if isinstance(value, bool) else None,
                text=value if isinstance(value, str) else None,
            )
        )
    session.flush()
    return invitation
