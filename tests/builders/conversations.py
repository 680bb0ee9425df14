"""Builders for chat sessions: a list of (sender, seconds after start, text) becomes real messages."""

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.conversations import service
from aftersales.conversations.models import ChatSession
from aftersales.kit.time import utcnow
from tests.builders.catalog import make_shop

_seq = itertools.count(1)

Line = tuple[str, float, str]


def make_chat(
    session: Session,
    lines: Sequence[Line],
    *,
    shop: Shop | None = None,
    start: datetime | None = None,
    session_key: str | None = None,
    order_id: int | None = None,
    agent_id: int | None = None,
    customer_account: str | None = None,
) -> ChatSession:
    """Ingest the lines through ``append_message`` (so QC runs as in production) and return the session."""
    shop = shop or make_shop(session)
    start = start or utcnow() - timedelta(hours=1)
    key = session_key or f"chat-{next(_seq)}"
    for sender, seconds, text in lines:
        service.append_message(
            session,
            shop_id=shop.id,
            platform=shop.platform,
            session_key=key,
            sender=sender,
            text=text,
            sent_at=start + timedelta(seconds=seconds),
            agent_id=agent_id if sender == "agent" else None,
            order_id=order_id,
            customer_account=customer_account,
        )
    chat = session.scalar(
        select(ChatSession).where(ChatSession.shop_id == shop.id, ChatSession.session_key == key)
    )
    assert chat is not None
    return chat
