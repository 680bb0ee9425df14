"""Groups and their bots: default configuration, lookup by code, and ``notify_group`` (outbox)."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import aftersales.messaging.bots  # noqa: F401  (registers the wecom/dingtalk/feishu channels)
from aftersales.messaging.bots import BOT_CHANNELS, text_payload, with_secret
from aftersales.messaging.channels import register_secret_lookup, signed_by
from aftersales.messaging.models import Priority
from aftersales.messaging.service import queue_message
from aftersales.tickets.config import defaults
from aftersales.tickets.errors import GroupNotFoundError
from aftersales.tickets.models import GroupBot, TicketGroup, bump_config_version


def ensure_defaults(session: Session) -> int:
    """Default groups, taxonomy, shifts, SLA policies and settings, added when missing."""
    added = defaults.seed_defaults(session.connection())
    if added:
        bump_config_version(session.connection())
        session.expire_all()
    return added


def ensure_default_groups(session: Session) -> int:
    return ensure_defaults(session)


def group_by_code(session: Session, code: str) -> TicketGroup:
    group = session.scalar(select(TicketGroup).where(TicketGroup.code == code))
    if group is None:
        ensure_defaults(session)
        group = session.scalar(select(TicketGroup).where(TicketGroup.code == code))
    if group is None:
        raise GroupNotFoundError(code)
    return group


# ---- group bots -----------------------------------------------------------------------------


def notify_group(
    session: Session,
    *,
    group_code: str,
    text: str,
    idempotency_key: str,
    subject: tuple[str, int] | None = None,
) -> int:
    """Queue ``text`` to every active bot of the group through the outbox; returns how many.

    Each bot gets ``<idempotency_key>:bot<id>``, so a repeat call queues nothing new. Group
    notices are the team's alerts (SLA breach, approvals, high risk): they leave before any queued
    buyer message.
    """
    group = group_by_code(session, group_code)
    bots = session.scalars(
        select(GroupBot).where(GroupBot.group_id == group.id, GroupBot.is_active.is_(True))
    )
    count = 0
    for bot in bots:
        payload = (
            text_payload(bot.channel, text) if bot.channel in BOT_CHANNELS else _webhook_payload(group, text)
        )
        queue_message(
            session,
            channel=bot.channel,
            destination=_destination(bot),
            payload=payload,
            idempotency_key=f"{idempotency_key}:bot{bot.id}",
            subject=subject,
            priority=Priority.ALERT,
        )
        count += 1
    return count


def _destination(bot: GroupBot) -> str:
    """Chat robots carry their secret on the URL (their adapters sign with it); the generic
    webhook names its bot instead, and the secret is read from the bot row at delivery."""
    if bot.channel in BOT_CHANNELS:
        return with_secret(bot.url, bot.secret)
    return signed_by(bot.url, BOT_SECRET, bot.id) if bot.secret else bot.url


def _bot_secret(session: Session, bot_id: int) -> str | None:
    bot = session.get(GroupBot, bot_id)
    return bot.secret if bot else None


BOT_SECRET = "ticket_bot"
register_secret_lookup(BOT_SECRET, _bot_secret)


def _webhook_payload(group: TicketGroup, text: str) -> dict[str, Any]:
    return {"event": "group.notify", "group": group.code, "text": text}
