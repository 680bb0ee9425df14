"""Builders for chat sessions: a list of (sender, seconds after start, text) becomes real messages."""

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop, Sku
from aftersales.conversations import service
from aftersales.conversations.models import (
    ChatSession,
    FollowUpMode,
    OrderFollowUp,
    ProductRecommendation,
    RecommendationSource,
)
from aftersales.kit.time import utcnow
from aftersales.orders.models import Order
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


def make_recommendation(
    session: Session, *, chat: ChatSession, sku: Sku, at: datetime, **overrides: Any
) -> ProductRecommendation:
    """A 商品推荐 row as ingest records it: the chat's agent and buyer unless overridden."""
    fields: dict[str, Any] = {
        "agent_id": chat.agent_id,
        "customer_id": chat.customer_id,
        "source": RecommendationSource.DETECTED,
        **overrides,
    }
    row = ProductRecommendation(
        session_id=chat.id,
        shop_id=chat.shop_id,
        sku_id=sku.id,
        sku_code=sku.code,
        recommended_at=at,
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def make_follow_up(
    session: Session, *, order: Order, at: datetime, agent_id: int | None = None, **overrides: Any
) -> OrderFollowUp:
    fields: dict[str, Any] = {"mode": FollowUpMode.MANUAL, **overrides}
    row = OrderFollowUp(order_id=order.id, shop_id=order.shop_id, agent_id=agent_id, followed_at=at, **fields)
    session.add(row)
    session.flush()
    return row
