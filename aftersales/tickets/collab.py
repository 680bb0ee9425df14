"""Two-way group collaboration (seed 001 【群对接】), the sending half: ticket cards with photo
evidence to the logistics and warehouse groups (the replies: ``collab_replies.py``).

A card goes through the outbox (one row per robot message, keyed by card and bot, so it leaves
once and is retried), automatically when routing CCs a group whose robot app sends cards (after
the creating request commits, job ``tickets.send_routed_cards``), or after the agent edits it on
the ticket page. Photos are the ticket's evidence (the buyer's and the agent's), judged by their
bytes; a platform that fetches pictures by URL gets a signed, expiring link to one photo.
"""

import hashlib
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.config import get_settings
from aftersales.kit.errors import InvalidInputError, NotAuthenticatedError, NotFoundError
from aftersales.kit.images import sniff_image
from aftersales.kit.time import utcnow
from aftersales.messaging.bots import BOT_CHANNELS, with_secret
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
from aftersales.tickets.collab_models import GroupBotApp, GroupCard, GroupRole, TicketPhoto
from aftersales.tickets.groups import group_by_code
from aftersales.tickets.models import GroupBot, RoutingRule, Ticket, TicketGroup
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
