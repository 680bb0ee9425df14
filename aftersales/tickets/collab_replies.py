"""Replies from the groups (seed 001: 快递回复消息自动回填工单): stored once per platform message,
matched to a ticket and written into its timeline, or left in the supervisors' inbox.

A reply arrives through the platform's callback (``collab_api``) and is matched by, in order: the
thread it answers (a message already matched), the ticket number in its text (``#123`` /
``工单123``), a tracking number of a ticket's order (open tickets first). A match is written into
the timeline as 快递回复 / 仓库回复 with the sender, and the group's oldest open card counts as
answered. A reply that confirms an interception, a reshipment or a found parcel carries that
suggested action for returns' one click (``returns/group_actions.py``).
"""

import re
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aftersales.kit.errors import InvalidInputError, NotAuthenticatedError, NotFoundError
from aftersales.kit.time import utcnow
from aftersales.messaging.callbacks import Inbound
from aftersales.orders.models import Shipment
from aftersales.tickets.collab_models import GroupBotApp, GroupCard, GroupReply, GroupRole
from aftersales.tickets.models import OPEN_STATUSES, GroupBot, Ticket, TicketGroup
from aftersales.tickets.service import add_timeline_entry, get_ticket

TICKET_NUMBER = re.compile(r"(?:工单\s*[#＃]?|[#＃])\s*(\d{1,9})")
TRACKING_TOKEN = re.compile(r"[A-Za-z0-9]{8,30}")
ACTION_WORDS = {
    "intercept": ("拦截成功", "已拦截", "拦截了", "已经拦截"),
    "reshipment": ("已补发", "补发了", "补发单号", "已经补发"),
    "found": ("找到了", "已找到", "找回了", "已找回", "包裹找到"),
}
ACTION_LABELS = {"intercept": "确认拦截", "reshipment": "确认补发", "found": "包裹已找回"}


def bot_app(session: Session, bot_id: int, channel: str) -> tuple[GroupBot, GroupBotApp]:
    """The bot and its app a callback names; anything else is an unauthenticated caller."""
    row = session.execute(
        select(GroupBot, GroupBotApp)
        .join(GroupBotApp, GroupBotApp.bot_id == GroupBot.id)
        .where(GroupBot.id == bot_id)
    ).first()
    if row is None or row[0].channel != channel or not row[0].is_active:
        raise NotAuthenticatedError("未知的群机器人回调")
    return row[0], row[1]


def receive(session: Session, *, bot: GroupBot, app: GroupBotApp, message: Inbound) -> GroupReply:
    """Store a group message once (a platform's retry returns the first) and file it."""
    existing = session.scalar(
        select(GroupReply).where(
            GroupReply.platform == message.platform, GroupReply.message_id == message.message_id
        )
    )
    if existing is not None:
        return existing
    reply = GroupReply(
        bot_id=bot.id,
        platform=message.platform,
        message_id=message.message_id[:128],
        thread_id=(message.thread_id or "")[:128] or None,
        chat_id=(message.chat_id or "")[:128] or None,
        sender=message.sender[:64] or "群成员",
        text=message.text,
        role=app.role,
        action=suggest_action(message.text),
        received_at=utcnow(),
    )
    session.add(reply)
    session.flush()
    ticket_id, how = match_ticket(session, reply)
    if ticket_id is not None:
        file_reply(session, reply, ticket_id=ticket_id, matched_by=how, actor_id=None)
    return reply


def suggest_action(text: str) -> str | None:
    for action, words in ACTION_WORDS.items():
        if any(word in text for word in words):
            return action
    return None


def match_ticket(session: Session, reply: GroupReply) -> tuple[int | None, str | None]:
    """Thread first (it is what the sender pointed at), then the number, then a tracking number."""
    if reply.thread_id:
        threaded = session.scalar(
            select(GroupReply.ticket_id).where(
                or_(GroupReply.message_id == reply.thread_id, GroupReply.thread_id == reply.thread_id),
                GroupReply.ticket_id.is_not(None),
                GroupReply.platform == reply.platform,
            )
        )
        if threaded is not None:
            return threaded, "thread"
    for number in TICKET_NUMBER.findall(reply.text):
        if session.get(Ticket, int(number)) is not None:
            return int(number), "number"
    by_parcel = _ticket_by_tracking(session, TRACKING_TOKEN.findall(reply.text))
    return (by_parcel, "tracking") if by_parcel is not None else (None, None)


def _ticket_by_tracking(session: Session, tokens: list[str]) -> int | None:
    if not tokens:
        return None
    orders = select(Shipment.order_id).where(Shipment.tracking_no.in_(tokens))
    query = (
        select(Ticket.id)
        .where(Ticket.order_id.in_(orders))
        .order_by(Ticket.status.in_(OPEN_STATUSES).desc(), Ticket.id.desc())
        .limit(1)
    )
    return session.scalar(query)


def file_reply(
    session: Session, reply: GroupReply, *, ticket_id: int, matched_by: str | None, actor_id: int | None
) -> GroupReply:
    """Write the reply into the ticket's timeline; the group's oldest open card is answered."""
    get_ticket(session, ticket_id)
    now = utcnow()
    reply.ticket_id, reply.matched_by, reply.handled_at = ticket_id, matched_by, now
    label = GroupRole(reply.role).reply_label
    add_timeline_entry(
        session,
        ticket_id=ticket_id,
        actor_id=actor_id,
        kind="group_reply",
        message=f"{label}({reply.sender}):{reply.text}",
        data={"reply_id": reply.id, "platform": reply.platform, "action": reply.action},
    )
    group_id = _group_of_bot(session, reply.bot_id)
    card = session.scalar(
        select(GroupCard)
        .where(
            GroupCard.ticket_id == ticket_id, GroupCard.group_id == group_id, GroupCard.answered_at.is_(None)
        )
        .order_by(GroupCard.id)
        .limit(1)
    )
    if card is not None:
        card.answered_at = now
    session.flush()
    return reply


def _group_of_bot(session: Session, bot_id: int | None) -> int | None:
    return session.scalar(select(GroupBot.group_id).where(GroupBot.id == bot_id)) if bot_id else None


def file_by_hand(session: Session, *, reply_id: int, ticket_id: int, actor_id: int) -> GroupReply:
    """The supervisor files an unmatched reply under a ticket."""
    reply = get_reply(session, reply_id)
    if session.get(Ticket, ticket_id) is None:
        raise InvalidInputError("ticket_id", f"工单不存在: #{ticket_id}")
    return file_reply(session, reply, ticket_id=ticket_id, matched_by="manual", actor_id=actor_id)


def get_reply(session: Session, reply_id: int) -> GroupReply:
    reply = session.get(GroupReply, reply_id)
    if reply is None:
        raise NotFoundError(f"群回复不存在: {reply_id}")
    return reply


def mark_action_done(session: Session, reply: GroupReply, *, actor_id: int, message: str) -> None:
    reply.action_done_at, reply.action_by_id = utcnow(), actor_id
    if reply.ticket_id is not None:
        add_timeline_entry(
            session,
            ticket_id=reply.ticket_id,
            actor_id=actor_id,
            kind="group_action",
            message=message,
            data={"reply_id": reply.id, "action": reply.action},
        )
    session.flush()


# ---- reads for the console --------------------------------------------------------------------


def thread(session: Session, ticket_id: int) -> list[dict[str, Any]]:
    """Cards and replies of a ticket in time order, for the ticket page."""
    cards = session.execute(
        select(GroupCard, TicketGroup.name)
        .join(TicketGroup, TicketGroup.id == GroupCard.group_id)
        .where(GroupCard.ticket_id == ticket_id)
    ).all()
    replies = session.scalars(select(GroupReply).where(GroupReply.ticket_id == ticket_id)).all()
    items = [{"at": c.created_at, "card": c, "group": name} for c, name in cards]
    items += [{"at": r.received_at, "reply": r, "label": GroupRole(r.role).reply_label} for r in replies]
    return sorted(items, key=lambda item: item["at"])


def unmatched_replies(session: Session, *, limit: int = 200) -> list[GroupReply]:
    query = (
        select(GroupReply)
        .where(GroupReply.handled_at.is_(None))
        .order_by(GroupReply.received_at)
        .limit(limit)
    )
    return list(session.scalars(query))


def unanswered_cards(session: Session, *, limit: int = 200) -> list[tuple[GroupCard, str, Ticket]]:
    """Group requests nobody answered yet, oldest first (by age)."""
    query = (
        select(GroupCard, TicketGroup.name, Ticket)
        .join(TicketGroup, TicketGroup.id == GroupCard.group_id)
        .join(Ticket, Ticket.id == GroupCard.ticket_id)
        .where(GroupCard.answered_at.is_(None))
        .order_by(GroupCard.created_at)
        .limit(limit)
    )
    return [(card, name, ticket) for card, name, ticket in session.execute(query).all()]


def age_text(since: datetime, now: datetime | None = None) -> str:
    minutes = int(((now or utcnow()) - since).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} 分钟"
    if minutes < 24 * 60:
        return f"{minutes // 60} 小时"
    return f"{minutes // (24 * 60)} 天"
