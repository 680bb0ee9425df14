"""Every query of the self-service domain."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, String, cast, delete, func, literal, select
from sqlalchemy.orm import Session, selectinload

from aftersales.conversations.models import ChatSession
from aftersales.orders.models import Customer, Order, OrderItem, Shipment
from aftersales.selfservice.invoice_models import InvoiceStatus
from aftersales.selfservice.models import (
    Invoice,
    PortalRequest,
    PortalUpload,
    QuickReply,
    RequestKind,
    RequestStatus,
    ReturnMethod,
    ReturnTask,
)
from aftersales.selfservice.survey_models import SurveyAnswer, SurveyInvitation, SurveyQuestion


def order_for_portal(session: Session, order_id: int) -> Order | None:
    """The order with its items and parcels, everything a portal page shows."""
    query = (
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.items), selectinload(Order.shipments))
    )
    return session.scalars(query).first()


def customer_phone(session: Session, customer_id: int) -> str | None:
    return session.scalar(select(Customer.phone).where(Customer.id == customer_id))


def item_lines(session: Session, order_id: int) -> list[OrderItem]:
    return list(session.scalars(select(OrderItem).where(OrderItem.order_id == order_id)))


def parcels(session: Session, order_id: int) -> list[Shipment]:
    return list(session.scalars(select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id)))


def latest_request(session: Session, order_id: int, *kinds: RequestKind) -> PortalRequest | None:
    return session.scalars(
        select(PortalRequest)
        .where(PortalRequest.order_id == order_id, PortalRequest.kind.in_(kinds))
        .order_by(PortalRequest.created_at.desc(), PortalRequest.id.desc())
        .limit(1)
    ).first()


def requests_of_order(session: Session, order_id: int) -> list[PortalRequest]:
    query = (
        select(PortalRequest)
        .where(PortalRequest.order_id == order_id)
        .order_by(PortalRequest.created_at.desc(), PortalRequest.id.desc())
    )
    return list(session.scalars(query))


def request_with_steps(session: Session, request_id: int) -> PortalRequest | None:
    query = (
        select(PortalRequest).where(PortalRequest.id == request_id).options(selectinload(PortalRequest.steps))
    )
    return session.scalars(query).first()


def requests_by_ticket(session: Session, ticket_id: int) -> list[PortalRequest]:
    return list(session.scalars(select(PortalRequest).where(PortalRequest.ticket_id == ticket_id)))


def task_of_request(session: Session, request_id: int) -> ReturnTask | None:
    return session.scalars(select(ReturnTask).where(ReturnTask.request_id == request_id)).first()


def uploads_of_request(session: Session, request_id: int) -> list[PortalUpload]:
    return list(session.scalars(select(PortalUpload).where(PortalUpload.request_id == request_id)))


def request_list(*, status: str | None = None, kind: str | None = None) -> Select[Any]:
    query = select(PortalRequest).order_by(PortalRequest.created_at.desc(), PortalRequest.id.desc())
    if status:
        query = query.where(PortalRequest.status == status)
    if kind:
        query = query.where(PortalRequest.kind == kind)
    return query


def quick_reply_search(
    *, query: str | None = None, scenario: str | None = None, shop_id: int | None = None
) -> Select[Any]:
    """Active snippets matching a keyword (title, body, keywords) or a ``/shortcut`` prefix;
    most used first, since that is what agents reach for."""
    statement = select(QuickReply).where(QuickReply.is_active.is_(True))
    if shop_id is not None:
        statement = statement.where((QuickReply.shop_id == shop_id) | QuickReply.shop_id.is_(None))
    if scenario:
        statement = statement.where(QuickReply.scenario == scenario)
    if query:
        text = query.strip()
        if text.startswith("/"):
            statement = statement.where(QuickReply.shortcut.startswith(text[1:].lower(), autoescape=True))
        else:
            pattern = f"%{text}%"
            statement = statement.where(
                QuickReply.title.ilike(pattern)
                | QuickReply.body.ilike(pattern)
                | QuickReply.shortcut.ilike(pattern)
                | QuickReply.keywords.ilike(pattern)
                | QuickReply.scenario.ilike(pattern)
            )
    return statement.order_by(QuickReply.usage_count.desc(), QuickReply.id)


def quick_replies_for(session: Session, scenarios: Sequence[str], *, limit: int = 5) -> list[QuickReply]:
    statement = (
        select(QuickReply)
        .where(QuickReply.is_active.is_(True), QuickReply.scenario.in_(list(scenarios)))
        .order_by(QuickReply.usage_count.desc(), QuickReply.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def overdue_self_send_tasks(session: Session, now: datetime) -> list[tuple[ReturnTask, PortalRequest]]:
    """Open self-send tasks past due whose request is still open (index on status, due_at)."""
    query = (
        select(ReturnTask, PortalRequest)
        .join(PortalRequest, PortalRequest.id == ReturnTask.request_id)
        .where(
            ReturnTask.status == "open",
            ReturnTask.method == ReturnMethod.SELF_SEND,
            ReturnTask.due_at <= now,
            PortalRequest.status.in_([RequestStatus.SUBMITTED, RequestStatus.PROCESSING]),
        )
        .order_by(ReturnTask.due_at)
        .limit(500)
    )
    return [(task, request) for task, request in session.execute(query)]


def open_tasks(session: Session, *, limit: int = 200) -> list[tuple[ReturnTask, PortalRequest]]:
    query = (
        select(ReturnTask, PortalRequest)
        .join(PortalRequest, PortalRequest.id == ReturnTask.request_id)
        .where(ReturnTask.status.in_(["open", "reminded", "booked"]))
        .order_by(ReturnTask.due_at)
        .limit(limit)
    )
    return [(task, request) for task, request in session.execute(query)]


def order_numbers(session: Session, order_ids: Sequence[int]) -> dict[int, str]:
    if not order_ids:
        return {}
    query = select(Order.id, Order.source_id).where(Order.id.in_(list(set(order_ids))))
    return {int(row.id): str(row.source_id) for row in session.execute(query)}


def invoices_of_requests(session: Session, request_ids: Sequence[int]) -> list[Invoice]:
    """The invoices of these registrations, newest first (the live one before those it replaced)."""
    if not request_ids:
        return []
    return list(
        session.scalars(
            select(Invoice).where(Invoice.request_id.in_(request_ids)).order_by(Invoice.id.desc())
        )
    )


def live_invoices_of_order(session: Session, order_id: int) -> list[Invoice]:
    """The order's issued, not voided, invoices (one per invoice registration)."""
    statement = select(Invoice).where(Invoice.order_id == order_id, Invoice.status == InvoiceStatus.ISSUED)
    return list(session.scalars(statement.order_by(Invoice.id)))


def invoice_count(session: Session, request_id: int) -> int:
    found = session.scalar(select(func.count(Invoice.id)).where(Invoice.request_id == request_id))
    return int(found or 0)


def active_questions(session: Session, shop_id: int | None) -> list[SurveyQuestion]:
    """A questionnaire's current questions in order; ``shop_id`` None is the default one."""
    owner = SurveyQuestion.shop_id.is_(None) if shop_id is None else SurveyQuestion.shop_id == shop_id
    statement = (
        select(SurveyQuestion)
        .where(owner, SurveyQuestion.retired_at.is_(None))
        .order_by(SurveyQuestion.position, SurveyQuestion.id)
    )
    return list(session.scalars(statement))


def last_question_version(session: Session, shop_id: int) -> int:
    statement = select(func.max(SurveyQuestion.version)).where(SurveyQuestion.shop_id == shop_id)
    return int(session.scalar(statement) or 0)


def questionnaire_version(session: Session, shop_id: int | None, version: int) -> list[SurveyQuestion]:
    """The questions of one saved version, retired or not (what an earlier answer was given to)."""
    owner = SurveyQuestion.shop_id.is_(None) if shop_id is None else SurveyQuestion.shop_id == shop_id
    statement = (
        select(SurveyQuestion)
        .where(owner, SurveyQuestion.version == version)
        .order_by(SurveyQuestion.position, SurveyQuestion.id)
    )
    return list(session.scalars(statement))


def survey_invitation(session: Session, subject_key: str) -> SurveyInvitation | None:
    return session.scalar(select(SurveyInvitation).where(SurveyInvitation.subject_key == subject_key))


def survey_answers(session: Session, invitation_id: int) -> list[SurveyAnswer]:
    statement = (
        select(SurveyAnswer)
        .where(SurveyAnswer.invitation_id == invitation_id)
        .order_by(SurveyAnswer.position, SurveyAnswer.id)
    )
    return list(session.scalars(statement))


def delete_survey_answers(session: Session, invitation_id: int) -> None:
    session.execute(delete(SurveyAnswer).where(SurveyAnswer.invitation_id == invitation_id))


def surveyed_recently(session: Session, *, customer_id: int, around: datetime, window: timedelta) -> bool:
    """Whether the buyer was sent a survey within ``window`` either side of ``around``."""
    statement = select(SurveyInvitation.id).where(
        SurveyInvitation.customer_id == customer_id,
        SurveyInvitation.invited_at > around - window,
        SurveyInvitation.invited_at < around + window,
    )
    return session.scalar(statement.limit(1)) is not None


def finished_chats_without_survey(
    session: Session, *, idle_since: datetime, not_before: datetime, limit: int
) -> list[ChatSession]:
    """Agent-served chats quiet since ``idle_since`` that have no survey invitation yet."""
    key = literal("chat:") + cast(ChatSession.id, String)
    surveyed = select(SurveyInvitation.id).where(SurveyInvitation.subject_key == key)
    statement = (
        select(ChatSession)
        .where(
            ChatSession.agent_id.is_not(None),
            ChatSession.ended_at < idle_since,
            ChatSession.ended_at >= not_before,
            ~surveyed.exists(),
        )
        .order_by(ChatSession.ended_at)
        .limit(limit)
    )
    return list(session.scalars(statement))


def recent_survey_answers(
    session: Session, *, shop_id: int | None, limit: int = 50
) -> list[SurveyInvitation]:
    """The latest answered invitations (the questionnaire page shows them under the editor)."""
    statement = select(SurveyInvitation).where(SurveyInvitation.answered_at.is_not(None))
    if shop_id is not None:
        statement = statement.where(SurveyInvitation.shop_id == shop_id)
    return list(session.scalars(statement.order_by(SurveyInvitation.answered_at.desc()).limit(limit)))


def answers_by_invitation(session: Session, invitation_ids: Sequence[int]) -> dict[int, list[SurveyAnswer]]:
    grouped: dict[int, list[SurveyAnswer]] = {i: [] for i in invitation_ids}
    statement = (
        select(SurveyAnswer)
        .where(SurveyAnswer.invitation_id.in_(invitation_ids))
        .order_by(SurveyAnswer.position, SurveyAnswer.id)
    )
    for answer in session.scalars(statement):
        grouped[answer.invitation_id].append(answer)
    return grouped
