"""Groups and their bots: default configuration, lookup by code, and ``notify_group`` (outbox)."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import aftersales.messaging.bots  # noqa: F401  (registers the wecom/dingtalk/feishu channels)
from aftersales.messaging.bots import BOT_CHANNELS, text_payload, with_secret
from aftersales.messaging.channels import register_secret_lookup, signed_by
from aftersales.messaging.models import Priority
from aftersales.messaging.service import queue_messages
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


@dataclass(frozen=True)
class GroupNotice:
    """One text for one group's bots; ``idempotency_key`` as ``notify_group`` takes it."""

    group_code: str
    text: str
    idempotency_key: str
    subject: tuple[str, int] | None = None


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
    return notify_groups(session, [GroupNotice(group_code, text, idempotency_key, subject)])[0]


def notify_groups(session: Session, notices: Sequence[GroupNotice]) -> list[int]:
    """``notify_group`` of several notices (how many bots each went to, in order): each group and
    its bots are read once and every message is queued in one insert, so a chat batch raising
    a dozen alerts does not read the same two groups a dozen times."""
    bots_of = {code: _active_bots(session, code) for code in dict.fromkeys(n.group_code for n in notices)}
    rows = [
        {
            "channel": bot.channel,
            "destination": _destination(bot),
            "payload": text_payload(bot.channel, notice.text)
            if bot.channel in BOT_CHANNELS
            else _webhook_payload(bots_of[notice.group_code][0], notice.text),
            "idempotency_key": f"{notice.idempotency_key}:bot{bot.id}",
            "subject": notice.subject,
            "priority": Priority.ALERT,
        }
        for notice in notices
        for bot in bots_of[notice.group_code][1]
    ]
    if rows:
        queue_messages(session, rows)
    return [len(bots_of[notice.group_code][1]) for notice in notices]


def _active_bots(session: Session, group_code: str) -> tuple[TicketGroup, list[GroupBot]]:
    group = group_by_code(session, group_code)
    active = select(GroupBot).where(GroupBot.group_id == group.id, GroupBot.is_active.is_(True))
    return group, list(session.scalars(active))


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
