"""Satisfaction surveys (满意度问卷): one invitation per resolved ticket, ended chat or delivered
order, the buyer's answers to the shop's questionnaire, and a ticket for a low answer.

* Invitations are idempotent by subject (``ticket:<id>``, ``chat:<id>``, ``order:<id>``). A ticket
  is surveyed when it is resolved (``handlers.py``), a chat once it has been quiet as long as the
  rating funnel waits (``reviews.ratings.CHAT_IDLE``, job ``selfservice.survey_chats``). Their
  invitation leaves through the outbox to the platform IM with a tokenised link to
  ``/portal/s/<token>``; a buyer gets at most one survey a day (the rest are recorded, skipped).
  The order survey is the after-delivery care message's ``survey_link``: that message carries the
  link itself, so its invitation is made when the buyer opens the page.
* Answering again replaces the answers. Each answer copies its question's text and kind.
* A low answer (整体满意度 or any rating at 1-2 星, or a yes/no question answered 否) opens one
  ticket per subject; answering again updates that ticket instead of opening another.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.conversations.models import ChatSession
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore
from aftersales.messaging.customer_channels import im_destination
from aftersales.messaging.service import queue_message
from aftersales.orders.models import Customer, Order
from aftersales.reviews.ratings import CHAT_IDLE, CHAT_LOOKBACK, CHATS_PER_RUN, INVITE_COOLDOWN
from aftersales.selfservice import access, integrations, repository
from aftersales.selfservice.errors import SurveyAnswersInvalidError, SurveyNotFoundError
from aftersales.selfservice.settings import get_selfservice_settings
from aftersales.selfservice.survey_models import (
    QuestionKind,
    SubjectKind,
    SurveyAnswer,
    SurveyInvitation,
    SurveyQuestion,
)
from aftersales.selfservice.survey_questions import questionnaire

LOW_STARS = 2
MAX_TEXT = 500
RATED = (QuestionKind.OVERALL, QuestionKind.STARS)
INVITE_TEXT = "亲,感谢您联系{shop}!{what}已处理完毕,占用您 1 分钟填写满意度问卷,帮助我们做得更好: {link}"
WHAT = {SubjectKind.TICKET: "您反馈的问题", SubjectKind.CHAT: "本次咨询"}


def survey_url(invitation_id: int) -> str:
    return f"{get_selfservice_settings().public_base_url}/portal/s/{access.sign_survey(invitation_id)}"


def get_invitation(session: Session, invitation_id: int) -> SurveyInvitation:
    invitation = session.get(SurveyInvitation, invitation_id)
    if invitation is None:
        raise SurveyNotFoundError()
    return invitation


def _register(session: Session, kind: SubjectKind, subject_id: int, **row: Any) -> SurveyInvitation:
    key = f"{kind.value}:{subject_id}"
    values = {"subject_kind": kind.value, "subject_key": key, "created_at": utcnow(), **row}
    insert_ignore(session, SurveyInvitation, [values], conflict_columns=("subject_key",))
    invitation = repository.survey_invitation(session, key)
    assert invitation is not None
    return invitation


def _send(
    session: Session, invitation: SurveyInvitation, buyer: tuple[str, str] | None, at: datetime
) -> None:
    """``buyer``: (platform, account) to write to; at most one survey a day per buyer. ``at``:
    when the service ended, so a backfilled ticket or chat (an import, the demo) keeps its time."""
    if invitation.invited_at is not None or invitation.skip_reason is not None:
        return
    if buyer is None:
        invitation.skip_reason = "无买家账号"
        return
    if invitation.customer_id is not None and repository.surveyed_recently(
        session, customer_id=invitation.customer_id, around=at, window=INVITE_COOLDOWN
    ):
        invitation.skip_reason = "24小时内已发过问卷"
        return
    shop = session.get_one(Shop, invitation.shop_id)
    subject, subject_id = SubjectKind(invitation.subject_kind), invitation.subject_key.split(":")[1]
    text = INVITE_TEXT.format(shop=shop.name, what=WHAT[subject], link=survey_url(invitation.id))
    queue_message(
        session,
        channel="platform_im",
        destination=im_destination(buyer[0], shop.code, buyer[1]),
        payload={"text": text, "kind": "survey_invitation", "invitation_id": invitation.id},
        idempotency_key=f"selfservice:survey:{invitation.id}",
        subject=("survey_invitation", invitation.id),
        reason={"rule": "满意度问卷", "finding": f"{subject.label} {subject_id} 已处理完毕"},
    )
    invitation.invited_at = at


def _customer_account(session: Session, customer_id: int | None) -> tuple[str, str] | None:
    customer = session.get(Customer, customer_id) if customer_id is not None else None
    return (str(customer.platform), customer.source_id) if customer is not None else None


def invite_for_ticket(session: Session, *, ticket_id: int) -> SurveyInvitation:
    """The ``TicketResolved`` reaction: the assignee is the agent the answers are counted under."""
    ticket = integrations.get_ticket(session, ticket_id)
    customer_id = ticket.customer_id
    if customer_id is None and ticket.order_id is not None:
        customer_id = session.get_one(Order, ticket.order_id).customer_id
    invitation = _register(
        session,
        SubjectKind.TICKET,
        ticket.id,
        shop_id=ticket.shop_id,
        ticket_id=ticket.id,
        order_id=ticket.order_id,
        agent_id=ticket.assignee_id,
        customer_id=customer_id,
    )
    at = min(utcnow(), ticket.resolved_at or utcnow())
    _send(session, invitation, _customer_account(session, customer_id), at)
    session.flush()
    return invitation


def invite_for_chat(session: Session, chat: ChatSession) -> SurveyInvitation:
    """The buyer is the chat's customer, else its buyer account on the chat's platform."""
    invitation = _register(
        session,
        SubjectKind.CHAT,
        chat.id,
        shop_id=chat.shop_id,
        chat_session_id=chat.id,
        ticket_id=chat.ticket_id,
        order_id=chat.order_id,
        agent_id=chat.agent_id,
        customer_id=chat.customer_id,
    )
    buyer = _customer_account(session, chat.customer_id)
    if buyer is None and chat.customer_account:
        buyer = (str(chat.platform), chat.customer_account)
    _send(session, invitation, buyer, min(utcnow(), chat.ended_at))
    session.flush()
    return invitation


def invite_finished_chats(session: Session, *, now: datetime | None = None) -> int:
    """Survey every agent-served chat that went quiet in the last days, once; how many were new."""
    now = now or utcnow()
    chats = repository.finished_chats_without_survey(
        session, idle_since=now - CHAT_IDLE, not_before=now - CHAT_LOOKBACK, limit=CHATS_PER_RUN
    )
    for chat in chats:
        invite_for_chat(session, chat)
    return len(chats)


def invitation_for_order(session: Session, order: Order) -> SurveyInvitation:
    """The after-delivery survey of an order (the care message's link): made on first visit."""
    return _register(
        session,
        SubjectKind.ORDER,
        order.id,
        shop_id=order.shop_id,
        order_id=order.id,
        customer_id=order.customer_id,
    )


def questions_for(session: Session, invitation: SurveyInvitation) -> list[SurveyQuestion]:
    """An answered survey shows the questions it was answered with; an open one the shop's current."""
    answered = repository.survey_answers(session, invitation.id)
    if not answered:
        return questionnaire(session, invitation.shop_id)
    first = session.get_one(SurveyQuestion, answered[0].question_id)
    return repository.questionnaire_version(session, first.shop_id, first.version)


@dataclass(frozen=True)
class Parsed:
    question: SurveyQuestion
    stars: int | None = None
    yes: bool | None = None
    text: str | None = None


def _parse_one(question: SurveyQuestion, value: str) -> Parsed | str:
    """The answer, or the Chinese reason it is refused (naming the question)."""
    name = f"「{question.text}」"
    if question.kind in RATED:
        if value not in {"1", "2", "3", "4", "5"}:
            return f"{name}请选择 1-5 星"
        return Parsed(question, stars=int(value))
    if question.kind == QuestionKind.YES_NO:
        if value not in {"yes", "no"}:
            return f"{name}请选择是或否"
        return Parsed(question, yes=value == "yes")
    if len(value) > MAX_TEXT:
        return f"{name}不能超过 {MAX_TEXT} 字"
    return Parsed(question, text=value)


def parse_answers(questions: Sequence[SurveyQuestion], raw: Mapping[str, str]) -> list[Parsed]:
    """Every question checked at once, so the buyer sees all that is missing in one go."""
    parsed, errors = [], {}
    for question in questions:
        field, value = f"q{question.id}", (raw.get(f"q{question.id}") or "").strip()
        if not value:
            if question.required:
                errors[field] = f"请回答「{question.text}」"
            continue
        result = _parse_one(question, value)
        if isinstance(result, str):
            errors[field] = result
        else:
            parsed.append(result)
    if errors:
        raise SurveyAnswersInvalidError(errors)
    return parsed


def record(
    session: Session, *, invitation_id: int, raw: Mapping[str, str], at: datetime | None = None
) -> SurveyInvitation:
    """Answer (or answer again) the invitation's questionnaire; a low answer reaches the team.
    ``at``: when it was answered, for answers imported or generated after the fact."""
    invitation = get_invitation(session, invitation_id)
    parsed = parse_answers(questions_for(session, invitation), raw)
    repository.delete_survey_answers(session, invitation.id)
    for p in parsed:
        session.add(
            SurveyAnswer(
                invitation_id=invitation.id,
                question_id=p.question.id,
                position=p.question.position,
                kind=p.question.kind,
                question_text=p.question.text,
                stars=p.stars,
                yes=p.yes,
                text=p.text,
            )
        )
    invitation.answered_at = at or utcnow()
    invitation.overall_stars = next(p.stars for p in parsed if p.question.kind == QuestionKind.OVERALL)
    session.flush()
    _follow_up_low(session, invitation, parsed)
    return invitation


def is_low(answers: Sequence[Parsed | SurveyAnswer]) -> bool:
    return any((a.stars is not None and a.stars <= LOW_STARS) or a.yes is False for a in answers)


def is_low_answered(session: Session, invitation: SurveyInvitation) -> bool:
    """Whether the invitation's answers reached the team as a ticket (the thanks page says so)."""
    return is_low(repository.survey_answers(session, invitation.id))


def _follow_up_low(session: Session, invitation: SurveyInvitation, parsed: Sequence[Parsed]) -> None:
    if not is_low(parsed):
        return
    order = session.get(Order, invitation.order_id) if invitation.order_id is not None else None
    kind = SubjectKind(invitation.subject_kind)
    about = (
        f"订单 {order.source_id}"
        if kind == SubjectKind.ORDER and order
        else f"{kind.label} #{invitation.subject_key.split(':')[1]}"
    )
    low = [f"{p.question.text}: {p.stars} 星" for p in parsed if p.stars is not None and p.stars <= LOW_STARS]
    low += [f"{p.question.text}: 否" for p in parsed if p.yes is False]
    words = [p.text for p in parsed if p.text]
    integrations.open_ticket(
        session,
        source="selfservice",
        # The order survey keeps the key the one-question survey used, so a ticket opened
        # before the questionnaire is updated rather than duplicated.
        source_key=f"portal-survey:{invitation.order_id}"
        if kind == SubjectKind.ORDER
        else f"survey:{invitation.subject_key}",
        shop_id=invitation.shop_id,
        order_id=invitation.order_id,
        customer_id=invitation.customer_id,
        type="complaint",
        category="服务问题",
        subcategory=None,
        title=f"[回访]问卷低分({invitation.overall_stars}星): {about}",
        description="\n".join([*low, *(f"留言: {w}" for w in words)]),
        severity="medium",
        group_code=None,
        data={"survey_invitation_id": invitation.id, "overall_stars": invitation.overall_stars},
    )


def answers_of(session: Session, invitation_id: int) -> dict[int, SurveyAnswer]:
    """Question id → the answer given, to fill the form again."""
    return {a.question_id: a for a in repository.survey_answers(session, invitation_id)}
