"""Demo self-service: the stock quick-reply library (with usage), portal requests of every kind
(some already moved on by an agent), bot conversations including hand-overs, and satisfaction
surveys of served chats and resolved tickets, about half of them answered (mostly content buyers,
some unhappy ones whose answers open follow-up tickets).

Draws come from ``ctx.rng("selfservice")``; everything goes through the services. Runs once per
database: a second ``aftersales demo`` leaves the portal data as it is.
"""

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.conversations.models import ChatSession
from aftersales.demo.context import DemoContext
from aftersales.kit.errors import AftersalesError
from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.orders.models import Order, OrderStatus
from aftersales.selfservice import bot, invoices, knowledge, quickreplies, service, survey_questions, surveys
from aftersales.selfservice.models import PortalRequest, QuickReply, RequestKind, RequestStatus, ReturnMethod
from aftersales.selfservice.schemas import AddressChange, InvoiceRegistration, ReturnApply
from aftersales.selfservice.survey_models import SurveyInvitation

PER_KIND = 6
QUESTIONS = (
    "我的快递到哪了",
    "还有一个包裹在哪",
    "什么时候发货",
    "退款什么时候到账",
    "怎么退货",
    "能改地址吗",
    "怎么开发票",
    "尺码小了能换大一码吗",
    "少发了一件",
    "收到的东西坏了",
    "你们客服几点下班",
    "垃圾东西,气死我了",
    "再不处理我就去12315投诉",
)

# Seed 004's 权限下放 as the team's written policies (知识库).
POLICIES = (
    ("补偿权限", "为提高接待效率,客服可自行补偿订单金额的 50%(500 元以内);超出的报主管审批。"),
    ("提前退换", "订单金额 150 元以内,客户寄回的退货/换货有揽收记录即可提前处理退款或换出。"),
    ("七天无理由退货", "签收后七天内商品完好可申请无理由退货,退货运费由买家承担;质量问题运费由我们承担。"),
)


def extend(session: Session, ctx: DemoContext) -> None:
    if session.scalar(select(func.count(PortalRequest.id))):
        return
    rng = ctx.rng("selfservice")
    quickreplies.seed_defaults(session)
    paid = list(session.scalars(select(Order.id).where(Order.status == OrderStatus.PAID).order_by(Order.id)))
    shipped = list(
        session.scalars(select(Order.id).where(Order.status == OrderStatus.SHIPPED).order_by(Order.id))
    )
    made = 0
    for order_id in rng.sample(paid, min(PER_KIND, len(paid))):
        made += _try(
            session, partial(service.submit_address_change, session, order_id=order_id, data=_address())
        )
    for order_id in rng.sample(shipped, min(3 * PER_KIND, len(shipped))):
        made += _try(session, partial(_one_of, session, rng, order_id))
    _advance_some(session, rng)
    _issue_some(session)
    for order_id in rng.sample(shipped, min(40, len(shipped))):
        text = rng.choice(QUESTIONS)
        bot.ask(session, text=text, session_key=f"demo-portal:{order_id}", order_id=order_id)
    for reply in session.scalars(select(QuickReply)):
        for _ in range(rng.randint(0, 12)):
            quickreplies.use(
                session, reply_id=reply.id, user_id=None, order_id=rng.choice(shipped), ticket_id=None
            )
    ctx.summary["selfservice_requests"] = made
    ctx.summary["survey_answers"] = _surveys(session, rng, ctx.config.as_of)
    for title, body in POLICIES:
        knowledge.create(session, shop_id=None, kind="policy", title=title, body=body, author_id=None)


def _try(session: Session, action: Callable[[], object]) -> int:
    """One request in a savepoint: an order the rules refuse is skipped, not fatal."""
    try:
        with session.begin_nested():
            action()
        return 1
    except AftersalesError:
        return 0


def _address() -> AddressChange:
    return AddressChange(
        receiver_name="王女士",
        receiver_phone="13700001234",
        province="江苏省",
        city="南京市",
        district="鼓楼区",
        address="中山北路 30 号 2 单元",
    )


def _one_of(session: Session, rng: random.Random, order_id: int) -> PortalRequest:
    choice = rng.random()
    if choice < 0.35:
        data = InvoiceRegistration(
            invoice_type="company", title="南京某某贸易有限公司", tax_id="91350100M000100Y43"
        )
        return service.submit_invoice(session, order_id=order_id, data=data)
    method = rng.choice(list(ReturnMethod))
    tomorrow = (utcnow().astimezone(SHANGHAI) + timedelta(days=1)).date()
    apply = ReturnApply(
        kind=rng.choice(["return", "exchange"]),
        reason=rng.choice(["not_fit", "damaged", "no_reason", "defective"]),
        return_method=method,
        pickup_date=tomorrow if method == ReturnMethod.PICKUP else None,
        pickup_slot="15-18" if method == ReturnMethod.PICKUP else None,
    )
    return service.submit_return(session, order_id=order_id, data=apply)


def _advance_some(session: Session, rng: random.Random) -> None:
    for request in session.scalars(select(PortalRequest).order_by(PortalRequest.id)).all():
        if rng.random() < 0.4:
            service.advance(
                session, request_id=request.id, status=RequestStatus.PROCESSING, message="客服已受理"
            )


def _issue_some(session: Session) -> None:
    """Two registrations issued, so the requests page shows invoices with their PDF and 重开 (an
    order refunded in full has nothing to invoice)."""
    pending = session.execute(
        select(PortalRequest.id, PortalRequest.order_id)
        .where(PortalRequest.kind == RequestKind.INVOICE, PortalRequest.status != RequestStatus.COMPLETED)
        .order_by(PortalRequest.id)
    )
    due = [request_id for request_id, order_id in pending if not invoices.refunded_in_full(session, order_id)]
    for request_id in due[:2]:
        service.issue_invoice(session, request_id=request_id, actor_id=None)


SURVEYED_CHATS = 120
ANSWER_SHARE = 0.5
WORDS = ("回复很快,谢谢", "问题解决了", "希望物流再快一点", "客服态度一般", "等了很久才有人理")


def _surveys(session: Session, rng: random.Random, as_of: datetime) -> int:
    """Survey a sample of served chats (resolved tickets were surveyed as they were resolved) and
    answer about half of the invitations that went out, a few hours after they did."""
    chats = session.scalars(
        select(ChatSession).where(ChatSession.agent_id.is_not(None)).order_by(ChatSession.id)
    ).all()
    for chat in rng.sample(list(chats), min(SURVEYED_CHATS, len(chats))):
        surveys.invite_for_chat(session, chat)
    invited = session.scalars(
        select(SurveyInvitation).where(SurveyInvitation.invited_at.is_not(None)).order_by(SurveyInvitation.id)
    ).all()
    answered = 0
    for invitation in invited:
        at = min(as_of, (invitation.invited_at or as_of) + timedelta(hours=rng.uniform(0.5, 20)))
        if rng.random() < ANSWER_SHARE:
            raw = _answers(session, rng, invitation.shop_id)
            surveys.record(session, invitation_id=invitation.id, raw=raw, at=at)
            answered += 1
    return answered


def _answers(session: Session, rng: random.Random, shop_id: int) -> dict[str, str]:
    """Mostly 4-5 stars; one buyer in eight is unhappy throughout."""
    unhappy = rng.random() < 0.125
    raw = {}
    for question in survey_questions.questionnaire(session, shop_id):
        field = f"q{question.id}"
        if question.kind in ("overall", "stars"):
            raw[field] = str(rng.choice((1, 2, 3)) if unhappy else rng.choice((3, 4, 5, 5, 5)))
        elif question.kind == "yes_no":
            raw[field] = "no" if unhappy or rng.random() < 0.08 else "yes"
        elif rng.random() < 0.4:
            raw[field] = rng.choice(WORDS)
    return raw
