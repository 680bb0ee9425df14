"""Background work: SLA alerts and due follow-ups (set-based, every minute) and the handoff at
each shift's end."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, literal, select, update
from sqlalchemy.orm import Session

from aftersales.jobs import job
from aftersales.kit.time import utcnow
from aftersales.tickets import collab
from aftersales.tickets.groups import notify_group
from aftersales.tickets.models import RANK_FOLLOW_UP_DUE, RANK_NORMAL, Ticket, TicketGroup, TimelineEntry
from aftersales.tickets.repository import ACTIVE_CLOCK
from aftersales.tickets.shifts import handoff as handoffs

ALERT_LIST_LIMIT = 10


@job("tickets.sla_scan", every=timedelta(minutes=1))
def sla_scan(session: Session, now: str | None = None) -> dict[str, Any]:
    """Mark near-breaches and breaches once each, note them on the timeline and alert each group."""
    at = datetime.fromisoformat(now) if now else utcnow()
    breached = _raise_level(session, 2, Ticket.sla_due_at <= at, at)
    warned = _raise_level(session, 1, (Ticket.sla_warn_at <= at) & (Ticket.sla_due_at > at), at)
    for level, ids in ((2, breached), (1, warned)):
        _alert_groups(session, level, ids, at)
    return {"breached": len(breached), "at_risk": len(warned)}


def _raise_level(session: Session, level: int, due: Any, at: datetime) -> list[int]:
    values: dict[str, Any] = {"sla_alert_level": level}
    if level == 2:
        values["sla_breached"] = True
    statement = (
        update(Ticket)
        .where(Ticket.status.in_(ACTIVE_CLOCK), Ticket.sla_alert_level < level, due)
        .values(**values)
        .returning(Ticket.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(session.scalars(statement))
    if ids:
        message = "SLA 已超时" if level == 2 else "SLA 即将超时"
        session.execute(
            insert(TimelineEntry).from_select(
                ["ticket_id", "kind", "message", "is_internal", "data", "created_at"],
                select(
                    Ticket.id,
                    literal("sla"),
                    literal(message),
                    literal(True),
                    literal({"level": level}, TimelineEntry.data.type),
                    literal(at, TimelineEntry.created_at.type),
                ).where(Ticket.id.in_(ids)),
            )
        )
        session.expire_all()
    return ids


def _alert_groups(session: Session, level: int, ids: list[int], at: datetime) -> None:
    """One message per group per scan, listing the first tickets; supervisors hear of breaches."""
    if not ids:
        return
    rows = session.execute(
        select(TicketGroup.code, Ticket.id, Ticket.title)
        .join(TicketGroup, TicketGroup.id == Ticket.group_id)
        .where(Ticket.id.in_(ids))
        .order_by(Ticket.id)
    ).all()
    by_group: dict[str, list[str]] = {}
    for code, ticket_id, title in rows:
        by_group.setdefault(code, []).append(f"#{ticket_id} {title}")
    if level == 2:
        by_group.setdefault("supervisors", []).extend(
            f"#{r[1]} {r[2]}" for r in rows if r[0] != "supervisors"
        )
    label = "已超时" if level == 2 else "即将超时"
    slot = at.strftime("%Y%m%d%H%M")
    for code, lines in by_group.items():
        more = f"\n…等共 {len(lines)} 张" if len(lines) > ALERT_LIST_LIMIT else ""
        notify_group(
            session,
            group_code=code,
            text=f"【SLA {label}】{len(lines)} 张工单\n" + "\n".join(lines[:ALERT_LIST_LIMIT]) + more,
            idempotency_key=f"sla:{level}:{code}:{slot}:{ids[0]}",
        )


@job("tickets.follow_up_due", every=timedelta(minutes=1))
def follow_up_due(session: Session, now: str | None = None) -> dict[str, Any]:
    """Due follow-ups rise to the top of the queue and tell the assignee on the timeline, once
    per scheduled time (rescheduling or replying puts the rank back)."""
    at = datetime.fromisoformat(now) if now else utcnow()
    statement = (
        update(Ticket)
        .where(Ticket.is_open.is_(True), Ticket.follow_up_at <= at, Ticket.queue_rank == RANK_NORMAL)
        .values(queue_rank=RANK_FOLLOW_UP_DUE)
        .returning(Ticket.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(session.scalars(statement))
    if ids:
        note = func.coalesce(literal(":") + Ticket.follow_up_note, "")
        session.execute(
            insert(TimelineEntry).from_select(
                ["ticket_id", "actor_id", "kind", "message", "is_internal", "data", "created_at"],
                select(
                    Ticket.id,
                    literal(None, TimelineEntry.actor_id.type),
                    literal("follow_up_due"),
                    literal("预约跟进已到期,请处理人跟进") + note,
                    literal(True),
                    literal({}, TimelineEntry.data.type),
                    literal(at, TimelineEntry.created_at.type),
                ).where(Ticket.id.in_(ids)),
            )
        )
        session.expire_all()
    return {"due": len(ids)}


@job("tickets.shift_handoff", every=timedelta(minutes=5))
def shift_handoff(session: Session, now: str | None = None) -> dict[str, Any]:
    """At each shift's end, register its unresolved tickets for the next shift (rerun-safe)."""
    at = datetime.fromisoformat(now) if now else utcnow()
    handed = {}
    for end in handoffs.due_shift_ends(session, at):
        handed[f"{end.shift_id}@{end.day.isoformat()}"] = handoffs.hand_off(
            session, shift_id=end.shift_id, day=end.day, now=at
        )
    return {"handed_off": handed}


@job("tickets.send_routed_cards")
def send_routed_cards(session: Session, ticket_id: int) -> dict[str, Any]:
    """The cards routing asked for (``tickets.handlers``), sent once the creating request committed."""
    return {"cards": collab.send_routed_cards(session, ticket_id=ticket_id)}
