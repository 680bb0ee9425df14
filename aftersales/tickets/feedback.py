"""闭环: feedback from a ticket to a department, and the department's answer written back."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.errors import InvalidInputError, NotFoundError
from aftersales.kit.time import utcnow
from aftersales.tickets.config.defaults import DEPARTMENTS
from aftersales.tickets.errors import FeedbackAlreadyAnsweredError, FeedbackClosedError
from aftersales.tickets.groups import notify_group
from aftersales.tickets.models import FeedbackItem, FeedbackStatus, TicketGroup
from aftersales.tickets.service import add_timeline_entry, get_ticket


def raise_feedback(
    session: Session,
    *,
    ticket_id: int,
    department: str,
    content: str,
    actor_id: int | None,
    sku_code: str | None = None,
) -> FeedbackItem:
    """Record the problem for the department (with the ticket's SKU and category) and tell its bot."""
    if department not in DEPARTMENTS:
        raise InvalidInputError("department", f"未知部门: {department}(可选 {'/'.join(DEPARTMENTS)})")
    ticket = get_ticket(session, ticket_id)
    item = FeedbackItem(
        ticket_id=ticket.id,
        department=department,
        sku_code=sku_code or ticket.sku_code,
        category=ticket.category,
        subcategory=ticket.subcategory,
        content=content,
        status=FeedbackStatus.OPEN,
        created_by_id=actor_id,
        created_at=utcnow(),
    )
    session.add(item)
    session.flush()
    group = session.query(TicketGroup).filter_by(code=department).one()
    add_timeline_entry(
        session,
        ticket_id=ticket.id,
        actor_id=actor_id,
        kind="feedback",
        message=f"反馈至{group.name}:{content}",
        data={"feedback_id": item.id, "department": department},
    )
    notify_group(
        session,
        group_code=department,
        text=f"【售后反馈 #{item.id}】工单 #{ticket.id} {ticket.category}"
        + (f"/{ticket.subcategory}" if ticket.subcategory else "")
        + (f" SKU {item.sku_code}" if item.sku_code else "")
        + f"\n{content}",
        idempotency_key=f"feedback:{item.id}:raised",
        subject=("ticket", ticket.id),
    )
    return item


def upsert_feedback(
    session: Session, *, ticket_id: int, department: str, content: str, sku_code: str | None = None
) -> FeedbackItem:
    """For system tickets that are refreshed (VOC counts): one item per ticket and department, whose
    content is updated on a repeat instead of raising a duplicate; its status and answer are kept."""
    item = session.scalar(
        select(FeedbackItem).where(FeedbackItem.ticket_id == ticket_id, FeedbackItem.department == department)
    )
    if item is None:
        return raise_feedback(
            session,
            ticket_id=ticket_id,
            department=department,
            content=content,
            actor_id=None,
            sku_code=sku_code,
        )
    item.content = content
    session.flush()
    return item


def get_feedback(session: Session, feedback_id: int) -> FeedbackItem:
    item = session.get(FeedbackItem, feedback_id)
    if item is None:
        raise NotFoundError(f"反馈不存在: {feedback_id}")
    return item


def acknowledge_feedback(session: Session, *, feedback_id: int, actor_id: int) -> FeedbackItem:
    """The department has taken it on (a repeat is a no-op); the ticket's timeline says so."""
    item = get_feedback(session, feedback_id)
    if item.status in (FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED):
        raise FeedbackAlreadyAnsweredError()
    if item.status == FeedbackStatus.OPEN:
        item.status = FeedbackStatus.ACKNOWLEDGED
        _note(session, item, actor_id, f"部门已受理(反馈 #{item.id})")
    return item


def close_feedback(session: Session, *, feedback_id: int, actor_id: int) -> FeedbackItem:
    """Ends the loop (after the answer, or when the problem went away); it leaves the board."""
    item = get_feedback(session, feedback_id)
    if item.status == FeedbackStatus.CLOSED:
        raise FeedbackClosedError()
    item.status = FeedbackStatus.CLOSED
    _note(session, item, actor_id, f"反馈已关闭(反馈 #{item.id})")
    return item


def _note(session: Session, item: FeedbackItem, actor_id: int, message: str, **data: str) -> None:
    add_timeline_entry(
        session,
        ticket_id=item.ticket_id,
        actor_id=actor_id,
        kind="feedback",
        message=message,
        data={"feedback_id": item.id, "department": item.department, "status": str(item.status), **data},
    )


def answer_feedback(session: Session, *, feedback_id: int, answer: str, actor_id: int) -> FeedbackItem:
    """The department's answer lands on the ticket's timeline; the item stays on the board until closed."""
    item = get_feedback(session, feedback_id)
    if item.status in (FeedbackStatus.ANSWERED, FeedbackStatus.CLOSED):
        raise FeedbackAlreadyAnsweredError()
    item.answer = answer
    item.status = FeedbackStatus.ANSWERED
    item.answered_by_id = actor_id
    item.answered_at = utcnow()
    _note(session, item, actor_id, f"部门答复(反馈 #{item.id}):{answer}", answer=answer)
    return item
