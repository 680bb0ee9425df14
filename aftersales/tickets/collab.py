"""Two-way group collaboration (seed 001 【群对接】): ticket cards with photos to the logistics and
warehouse groups, replies written back into the ticket.

A card goes through the outbox (one row per robot message, keyed by card and bot, so it leaves
once and is retried), automatically when routing CCs a group whose bot app says so, or after the
agent edits it on the ticket page. A reply arrives through the platform's callback
(``collab_api``), is stored once per platform message id, and is matched to a ticket by, in
order: the thread it answers (a message already matched), the ticket number in its text
(``#123`` / ``工单123``), a tracking number of a ticket's order. A match is written into the
timeline as 快递回复 / 仓库回复 with the sender; no match leaves it in the supervisor's inbox.
"""

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aftersales.config import get_settings
from aftersales.kit.errors import InvalidInputError, NotAuthenticatedError, NotFoundError
from aftersales.kit.images import sniff_image
from aftersales.kit.time import utcnow
from aftersales.messaging.bots import BOT_CHANNELS, with_secret
from aftersales.messaging.callbacks import Inbound
from aftersales.messaging.cards import (
    FEISHU_API,
    CardPhoto,
    FeishuApp,
    TicketCard,
    card_messages,
    feishu_destination,
    register_feishu_app_lookup,
)
from aftersales.messaging.models import Priority
from aftersales.messaging.service import queue_message
from aftersales.orders.couriers import courier_name
from aftersales.orders.models import Order, Shipment
from aftersales.tickets.collab_models import GroupBotApp, GroupCard, GroupReply, GroupRole, TicketPhoto
from aftersales.tickets.groups import group_by_code
from aftersales.tickets.models import OPEN_STATUSES, GroupBot, RoutingRule, Ticket, TicketGroup
from aftersales.tickets.service import add_timeline_entry, get_ticket

PHOTO_LINK_MAX_AGE = timedelta(days=30)
PHOTO_SALT = "group-photo"
CARD_FIELDS = (("order", "订单号"), ("parcel", "快递单号"), ("courier", "快递公司"), ("problem", "问题"))
ASKS = {
    GroupRole.COURIER: "请核实包裹状态并回复处理结果(拦截/找回/理赔),回复时请带上工单号",
    GroupRole.WAREHOUSE: "请核实破损/少件并回复处理结果(补发单号),回复时请带上工单号",
}
PHOTO_MAX_BYTES = 10 * 1024 * 1024


# ---- photos -----------------------------------------------------------------------------------


def attach_photo(
    session: Session,
    *,
    ticket_id: int,
    content: bytes,
    source: str,
    original_name: str | None = None,
    actor_id: int | None = None,
) -> TicketPhoto:
    """Keep an image (its type judged by its bytes) as evidence of the ticket."""
    kind = sniff_image(content)
    if kind is None:
        raise InvalidInputError("photo", "不是有效的图片(仅支持 JPG、PNG、WebP、HEIC)")
    if len(content) > PHOTO_MAX_BYTES:
        raise InvalidInputError("photo", f"图片超过 {PHOTO_MAX_BYTES // 1024 // 1024} MB")
    photo = TicketPhoto(
        ticket_id=ticket_id,
        source=source,
        original_name=(original_name or "")[:255] or None,
        content_type=kind[0],
        size_bytes=len(content),
        md5=hashlib.md5(content).hexdigest(),  # noqa: S324 (WeCom's documented checksum, not security)
        content=content,
        uploaded_by_id=actor_id,
        created_at=utcnow(),
    )
    session.add(photo)
    session.flush()
    return photo


def photos_of(session: Session, ticket_id: int) -> list[TicketPhoto]:
    return list(
        session.scalars(
            select(TicketPhoto).where(TicketPhoto.ticket_id == ticket_id).order_by(TicketPhoto.id)
        )
    )


def photo_link(photo_id: int) -> str:
    """A link the platforms fetch without logging in: signed, expiring, naming one photo."""
    token = URLSafeTimedSerializer(get_settings().secret_key, salt=PHOTO_SALT).dumps(photo_id)
    return f"{get_settings().public_base_url}/api/tickets/group-photos/{photo_id}?sig={token}"


def photo_by_link(session: Session, photo_id: int, sig: str | None) -> TicketPhoto:
    serializer = URLSafeTimedSerializer(get_settings().secret_key, salt=PHOTO_SALT)
    try:
        signed_id = serializer.loads(sig or "", max_age=int(PHOTO_LINK_MAX_AGE.total_seconds()))
    except (BadSignature, SignatureExpired):
        raise NotAuthenticatedError("图片链接无效或已过期") from None
    photo = session.get(TicketPhoto, photo_id)
    if signed_id != photo_id or photo is None:
        raise NotAuthenticatedError("图片链接无效或已过期")
    return photo


# ---- cards ------------------------------------------------------------------------------------


def group_role(session: Session, group_id: int) -> GroupRole:
    """A group is the warehouse's when one of its bot apps says so; otherwise the courier's."""
    roles = session.scalars(
        select(GroupBotApp.role)
        .join(GroupBot, GroupBot.id == GroupBotApp.bot_id)
        .where(GroupBot.group_id == group_id)
    ).all()
    return GroupRole.WAREHOUSE if GroupRole.WAREHOUSE in roles else GroupRole.COURIER


def card_fields(session: Session, ticket: Ticket, group: TicketGroup) -> dict[str, str]:
    """The card as the agent first sees it: order, parcel, courier, problem and the ask."""
    order = session.get(Order, ticket.order_id) if ticket.order_id else None
    parcel = _main_parcel(session, ticket.order_id)
    problem = "/".join(p for p in (ticket.category, ticket.subcategory, ticket.detail) if p)
    return {
        "order": order.source_id if order else "无订单",
        "parcel": parcel.tracking_no if parcel else "未发货",
        "courier": courier_name(parcel.courier) if parcel else "无",
        "problem": f"{problem}:{ticket.title}",
        "ask": ASKS[group_role(session, group.id)],
    }


def _main_parcel(session: Session, order_id: int | None) -> Shipment | None:
    if order_id is None:
        return None
    query = select(Shipment).where(Shipment.order_id == order_id).order_by(Shipment.id.desc()).limit(1)
    return session.scalar(query)


def send_card(
    session: Session,
    *,
    ticket_id: int,
    group_code: str,
    fields: dict[str, str] | None = None,
    photo_ids: Sequence[int] | None = None,
    actor_id: int | None = None,
) -> GroupCard:
    """Queue the card (and its photos) to every active robot of the group, through the outbox."""
    ticket = get_ticket(session, ticket_id)
    group = group_by_code(session, group_code)
    values = _checked_fields(fields or card_fields(session, ticket, group))
    photos = _chosen_photos(session, ticket.id, photo_ids)
    card = GroupCard(
        ticket_id=ticket.id,
        group_id=group.id,
        fields=values,
        photo_ids=[p.id for p in photos],
        sent_by_id=actor_id,
        created_at=utcnow(),
    )
    session.add(card)
    session.flush()
    bots = _queue_card(session, card, ticket, photos)
    add_timeline_entry(
        session,
        ticket_id=ticket.id,
        actor_id=actor_id,
        kind="group_card",
        message=f"已发送工单卡片到 {group.name}({bots} 个群机器人,照片 {len(photos)} 张):{values['ask']}",
        data={"card_id": card.id, "group_id": group.id},
    )
    return card


def _checked_fields(values: dict[str, str]) -> dict[str, str]:
    cleaned = {key: str(values.get(key) or "").strip() for key, _ in (*CARD_FIELDS, ("ask", ""))}
    for key, label in (*CARD_FIELDS, ("ask", "请协助")):
        if not cleaned[key]:
            raise InvalidInputError(key, f"{label}不能为空")
        if len(cleaned[key]) > 500:
            raise InvalidInputError(key, f"{label}最多 500 字")
    return cleaned


def _chosen_photos(session: Session, ticket_id: int, photo_ids: Sequence[int] | None) -> list[TicketPhoto]:
    photos = photos_of(session, ticket_id)
    if photo_ids is None:
        return photos
    chosen = [p for p in photos if p.id in set(photo_ids)]
    if len(chosen) != len(set(photo_ids)):
        raise InvalidInputError("photo_ids", "只能选择本工单的照片")
    return chosen


def _queue_card(session: Session, card: GroupCard, ticket: Ticket, photos: list[TicketPhoto]) -> int:
    bots = session.execute(
        select(GroupBot, GroupBotApp)
        .outerjoin(GroupBotApp, GroupBotApp.bot_id == GroupBot.id)
        .where(
            GroupBot.group_id == card.group_id,
            GroupBot.is_active.is_(True),
            GroupBot.channel.in_(BOT_CHANNELS),
        )
        .order_by(GroupBot.id)
    ).all()
    content = _ticket_card(card, ticket)
    card_photos = [CardPhoto(f"p{p.id}", p.content, p.content_type, p.md5, photo_link(p.id)) for p in photos]
    for bot, app in bots:
        has_app = app is not None and bool(app.app_id and app.app_secret)
        messages = card_messages(bot.channel, content, card_photos, feishu_app=has_app)
        for n, (channel, payload) in enumerate(messages):
            queue_message(
                session,
                channel=channel,
                destination=_destination(bot, app, channel),
                payload=payload,
                idempotency_key=f"tickets:card:{card.id}:bot{bot.id}:{n}",
                subject=("ticket", ticket.id),
                priority=Priority.ALERT,
                reason={"card_id": card.id, "ticket_id": ticket.id},
            )
    return len(bots)


def _ticket_card(card: GroupCard, ticket: Ticket) -> TicketCard:
    fields = [(label, card.fields[key]) for key, label in CARD_FIELDS]
    return TicketCard(
        title=f"【售后工单 #{ticket.id}】{ticket.subcategory or ticket.category}",
        fields=[("工单号", f"#{ticket.id}"), *fields],
        ask=card.fields["ask"],
        link=f"{get_settings().public_base_url}/console/tickets/{ticket.id}",
    )


def _destination(bot: GroupBot, app: GroupBotApp | None, channel: str) -> str:
    if channel == "feishu_card" and app is not None:
        return feishu_destination(bot.url, secret=bot.secret, app_ref=app.id)
    return with_secret(bot.url, bot.secret)


def _feishu_app(session: Session, app_id: int) -> FeishuApp | None:
    app = session.get(GroupBotApp, app_id)
    if app is None or not app.app_id or not app.app_secret:
        return None
    return FeishuApp(app.app_id, app.app_secret, (app.api_base or FEISHU_API).rstrip("/"))


register_feishu_app_lookup(_feishu_app)


def routed_card_groups(session: Session, ticket_id: int) -> list[str]:
    """Groups routing CC'd the ticket to whose robot app sends cards and that have none yet."""
    ticket = get_ticket(session, ticket_id)
    codes = []
    for code in _cc_codes(session, ticket):
        group = group_by_code(session, code)
        sent = session.scalar(
            select(GroupCard.id).where(GroupCard.ticket_id == ticket.id, GroupCard.group_id == group.id)
        )
        if sent is None and _sends_cards(session, group.id):
            codes.append(code)
    return codes


def send_routed_cards(session: Session, *, ticket_id: int) -> int:
    """Each routed card group gets the default card with every photo of the ticket, once."""
    codes = routed_card_groups(session, ticket_id)
    for code in codes:
        send_card(session, ticket_id=ticket_id, group_code=code)
    return len(codes)


def _cc_codes(session: Session, ticket: Ticket) -> list[str]:
    rule_ids = (ticket.data or {}).get("routing_rules") or []
    if not rule_ids:
        return []
    query = select(RoutingRule.cc_group_code).where(
        RoutingRule.id.in_(rule_ids), RoutingRule.cc_group_code.is_not(None)
    )
    return sorted({code for code in session.scalars(query) if code})


def _sends_cards(session: Session, group_id: int) -> bool:
    query = (
        select(GroupBotApp.id)
        .join(GroupBot, GroupBot.id == GroupBotApp.bot_id)
        .where(GroupBot.group_id == group_id, GroupBot.is_active.is_(True), GroupBotApp.send_cards.is_(True))
    )
    return session.scalar(query.limit(1)) is not None


# ---- replies ----------------------------------------------------------------------------------

TICKET_NUMBER = re.compile(r"(?:工单\s*[#＃]?|[#＃])\s*(\d{1,9})")
TRACKING_TOKEN = re.compile(r"[A-Za-z0-9]{8,30}")
ACTION_WORDS = {
    "intercept": ("拦截成功", "已拦截", "拦截了", "已经拦截"),
    "reshipment": ("已补发", "补发了", "补发单号", "已经补发"),
    "found": ("找到了", "已找到", "找回了", "已找回", "包裹找到"),
}
ACTION_LABELS = {"intercept": "确认拦截", "reshipment": "确认补发", "found": "包裹已找回"}


def save_bot_app(session: Session, *, bot_id: int, values: dict[str, Any]) -> GroupBotApp:
    """Create or replace the app behind a chat robot (a generic webhook has none)."""
    bot = session.get(GroupBot, bot_id)
    if bot is None or bot.channel not in BOT_CHANNELS:
        raise NotFoundError(f"群机器人不存在或不是企业微信/钉钉/飞书机器人: {bot_id}")
    app = session.scalar(select(GroupBotApp).where(GroupBotApp.bot_id == bot_id)) or GroupBotApp(
        bot_id=bot_id
    )
    for name, value in values.items():
        setattr(app, name, value)
    session.add(app)
    session.flush()
    return app


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


def card_groups(session: Session) -> list[TicketGroup]:
    """Groups with an active chat robot: where a card can go."""
    query = (
        select(TicketGroup)
        .where(
            TicketGroup.id.in_(
                select(GroupBot.group_id).where(
                    GroupBot.is_active.is_(True), GroupBot.channel.in_(BOT_CHANNELS)
                )
            )
        )
        .order_by(TicketGroup.id)
    )
    return list(session.scalars(query))
