"""Appeals (申诉) against a platform's ruling (判责) about an order (seed 000, the factory-report case).

The platform may rule against the shop before the shop has spoken to the buyer; once the buyer's
real need is met (the 出厂报告 they wanted), the buyer often pays the difference back (补款) and
leaves a good review (好评), and the shop appeals the ruling with what happened as evidence. An
appeal is a draft until submitted, then won or lost; it has the platform's deadline, and its
evidence is what the agent chose from the ticket: timeline entries, photos, tracking events of
the order's parcels, and chat excerpts pasted as text. The chosen evidence is copied into the
appeal, so it still shows what was sent after the ticket moves on.
"""

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import format_local, utcnow
from aftersales.orders.models import Order, Shipment, TrackingEvent
from aftersales.returns import ticketing
from aftersales.returns.aftercare_models import APPEAL_STATUS_LABELS, Appeal, AppealStatus
from aftersales.returns.aftercare_schemas import AppealIn, AppealOutcomeIn, EvidenceIn
from aftersales.returns.errors import AppealNotFoundError, AppealStateError
from aftersales.returns.policy import yuan
from aftersales.tickets.collab import photos_of
from aftersales.tickets.models import Ticket, TimelineEntry

OPEN_STATUSES = (AppealStatus.DRAFT, AppealStatus.SUBMITTED)
EVIDENCE_LABELS = {"timeline": "工单记录", "photo": "图片", "tracking": "物流轨迹", "chat": "聊天记录"}


def get_appeal(session: Session, appeal_id: int) -> Appeal:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise AppealNotFoundError(appeal_id)
    return appeal


def _item(kind: str, ref_id: int | None, at: datetime | None, text: str) -> dict[str, Any]:
    return {"kind": kind, "ref_id": ref_id, "at": format_local(at) if at else "", "text": text}


def candidates(session: Session, *, order_id: int, ticket_id: int | None) -> list[dict[str, Any]]:
    """Everything the agent may pick as evidence: the ticket's timeline and photos, then the
    tracking events of every parcel of the order, oldest first within each kind."""
    found: list[dict[str, Any]] = []
    if ticket_id is not None:
        entries = session.scalars(
            select(TimelineEntry).where(TimelineEntry.ticket_id == ticket_id).order_by(TimelineEntry.id)
        )
        found += [_item("timeline", e.id, e.created_at, e.message) for e in entries]
        found += [
            _item("photo", p.id, p.created_at, p.original_name or f"图片 #{p.id}")
            for p in photos_of(session, ticket_id)
        ]
    events = session.execute(
        select(TrackingEvent, Shipment.tracking_no)
        .join(Shipment, Shipment.id == TrackingEvent.shipment_id)
        .where(Shipment.order_id == order_id)
        .order_by(TrackingEvent.occurred_at)
    )
    found += [
        _item("tracking", e.id, e.occurred_at, f"{no} {e.location or ''} {e.raw_text}") for e, no in events
    ]
    return found


def _chosen(session: Session, appeal: Appeal, chosen: Iterable[EvidenceIn]) -> list[dict[str, Any]]:
    """Copy each chosen piece from the ticket/order; a reference from elsewhere is refused."""
    available = {
        (c["kind"], c["ref_id"]): c
        for c in candidates(session, order_id=appeal.order_id, ticket_id=appeal.ticket_id)
    }
    evidence = []
    for piece in chosen:
        if piece.kind == "chat":
            if not (piece.text or "").strip():
                raise InvalidInputError("evidence", "聊天记录证据需填写聊天内容")
            evidence.append(_item("chat", None, None, piece.text.strip() if piece.text else ""))
            continue
        found = available.get((piece.kind, piece.ref_id))
        if found is None:
            raise InvalidInputError(
                "evidence", f"{EVIDENCE_LABELS[piece.kind]} #{piece.ref_id} 不属于该工单或订单"
            )
        evidence.append(found)
    return evidence


def create(session: Session, *, data: AppealIn, actor: User) -> Appeal:
    """A draft appeal for an order (and its ticket, when one is named)."""
    order = session.get(Order, data.order_id)
    if order is None:
        raise InvalidInputError("order_id", f"订单不存在: {data.order_id}")
    if data.ticket_id is not None:
        ticket = session.get(Ticket, data.ticket_id)
        if ticket is None or ticket.order_id != order.id:
            raise InvalidInputError("ticket_id", "工单不存在或与订单不匹配")
    if data.ruled_at is not None and data.deadline_at <= data.ruled_at:
        raise InvalidInputError("deadline_at", "申诉截止时间必须晚于判责时间")
    appeal = Appeal(
        shop_id=order.shop_id,
        order_id=order.id,
        ticket_id=data.ticket_id,
        platform=order.platform,
        ruling=data.ruling,
        ruled_at=data.ruled_at,
        deadline_at=data.deadline_at,
        statement=data.statement,
        evidence=[],
        status=AppealStatus.DRAFT,
        topup_fen=0,
        good_review=False,
        created_by=actor.id,
        created_at=utcnow(),
    )
    session.add(appeal)
    session.flush()
    appeal.evidence = _chosen(session, appeal, data.evidence)
    ticketing.note(
        session,
        appeal.ticket_id,
        actor_id=actor.id,
        kind="returns.appeal",
        message=f"登记平台判责申诉(截止 {format_local(appeal.deadline_at)}):{appeal.ruling}",
        data={"appeal_id": appeal.id},
    )
    session.flush()
    return appeal


def revise(session: Session, *, appeal_id: int, evidence: list[EvidenceIn], statement: str) -> Appeal:
    """Choose the evidence and write the statement; only while the appeal is a draft."""
    appeal = get_appeal(session, appeal_id)
    if appeal.status != AppealStatus.DRAFT:
        raise AppealStateError("申诉已提交,不能再修改证据")
    appeal.evidence = _chosen(session, appeal, evidence)
    appeal.statement = statement
    session.flush()
    return appeal


def submit(session: Session, *, appeal_id: int, actor: User) -> Appeal:
    """A draft with evidence and a statement goes to the platform, before its deadline."""
    appeal = get_appeal(session, appeal_id)
    if appeal.status != AppealStatus.DRAFT:
        raise AppealStateError("申诉已提交,不能重复提交")
    if not appeal.evidence:
        raise InvalidInputError("evidence", "请至少选择一项证据再提交申诉")
    if len(appeal.statement.strip()) < 2:
        raise InvalidInputError("statement", "请填写申诉说明")
    if utcnow() > appeal.deadline_at:
        raise AppealStateError(f"已超过申诉截止时间 {format_local(appeal.deadline_at)},不能提交")
    appeal.status = AppealStatus.SUBMITTED
    appeal.submitted_at = utcnow()
    ticketing.note(
        session,
        appeal.ticket_id,
        actor_id=actor.id,
        kind="returns.appeal",
        message=f"已提交申诉,附证据 {len(appeal.evidence)} 项",
        data={"appeal_id": appeal.id},
    )
    session.flush()
    return appeal


def record_outcome(session: Session, *, appeal_id: int, data: AppealOutcomeIn, actor: User) -> Appeal:
    """The platform's answer, and what the buyer did after (补款, 好评), on the appeal and ticket."""
    appeal = get_appeal(session, appeal_id)
    if appeal.status != AppealStatus.SUBMITTED:
        raise AppealStateError("只有已提交的申诉可以登记结果")
    appeal.status = AppealStatus.WON if data.won else AppealStatus.LOST
    appeal.outcome_note = data.note
    appeal.topup_fen = data.topup_fen
    appeal.good_review = data.good_review
    appeal.decided_at = utcnow()
    after = [f"买家补款 {yuan(data.topup_fen)}"] if data.topup_fen else []
    after += ["买家已好评"] if data.good_review else []
    ticketing.note(
        session,
        appeal.ticket_id,
        actor_id=actor.id,
        kind="returns.appeal",
        message=f"{APPEAL_STATUS_LABELS[appeal.status]}:{data.note}"
        + (f"({','.join(after)})" if after else ""),
        data={"appeal_id": appeal.id},
    )
    session.flush()
    return appeal


def is_overdue(appeal: Appeal, now: datetime) -> bool:
    """A draft past its deadline can no longer be sent: the list shows it in red."""
    return appeal.status == AppealStatus.DRAFT and appeal.deadline_at < now


def of_ticket(session: Session, ticket_id: int) -> list[Appeal]:
    """The ticket's appeals, in the listing's order."""
    return list(session.scalars(listing().where(Appeal.ticket_id == ticket_id)))


def listing(*, status: AppealStatus | None = None) -> Select[Appeal]:
    """Open appeals first, nearest deadline first; decided ones after."""
    query = select(Appeal).order_by(
        case((Appeal.status.in_(OPEN_STATUSES), 0), else_=1), Appeal.deadline_at, Appeal.id
    )
    return query.where(Appeal.status == status) if status is not None else query
