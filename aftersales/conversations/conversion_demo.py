"""Demo 商品推荐 and 跟单 for the promotion, so the 复盘's conversion tables and the 跟单 page have
figures after ``make demo``.

商品推荐: pre-sale chats of buyers who later ordered; the agent names a product by its name and
code. About half the time it is a product the buyer then bought (a conversion when the order came
within the shop's window), otherwise another product of the shop. The chats go through
``ingest_messages``, so the recommendations are found the way live ones are.

跟单: pre-sale orders wait for their balance payment (尾款) until the peak opens; some were
reminded in the peak's first minutes and paid soon after, some a day or more before they paid.
Those orders are paid by now, so their follow-ups are written as history (``followups.follow_up``
refuses a paid order).
Some orders still waiting for payment are followed up by hand through ``followups.follow_up``;
the rest stay on the 跟单 list.
"""

import random
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.catalog.models import Shop, Sku
from aftersales.conversations import followups
from aftersales.conversations.models import FollowUpMode, OrderFollowUp
from aftersales.conversations.schemas import MessageIn
from aftersales.conversations.service import ingest_messages
from aftersales.demo.context import DemoContext
from aftersales.kit.time import SHANGHAI
from aftersales.kit.upsert import insert_ignore
from aftersales.orders.models import Customer, Order, OrderItem, OrderStatus

RECOMMENDATION_CHATS = 80
BOUGHT_SHARE = 0.55
PRESALE_FOLLOW_UPS = 60
UNPAID_FOLLOWED_SHARE = 0.5


def extend(session: Session, ctx: DemoContext, agents: list[User]) -> dict[str, int]:
    if not agents:
        return {}
    rng = ctx.rng("conversion")
    chats = _recommendation_chats(session, ctx, rng, agents)
    result = ingest_messages(session, chats)
    followed = _presale_follow_ups(session, ctx, rng, agents) + _unpaid_follow_ups(session, ctx, rng, agents)
    return {"recommendation_chats": result.sessions, "follow_ups": followed}


def _recommendation_chats(
    session: Session, ctx: DemoContext, rng: random.Random, agents: list[User]
) -> list[MessageIn]:
    rows = session.execute(
        select(Order.id, Order.shop_id, Order.ordered_at, Customer.source_id, OrderItem.sku_code)
        .join(Customer, Customer.id == Order.customer_id)
        .join(OrderItem, OrderItem.order_id == Order.id)
        .where(Order.id.in_(ctx.order_ids), Order.paid_at.is_not(None), OrderItem.line_no == 1)
        .order_by(Order.id)
    ).all()
    chosen = sorted(rng.sample(range(len(rows)), k=min(RECOMMENDATION_CHATS, len(rows))))
    shops = {shop.id: shop for shop in ctx.shops.values()}
    messages: list[MessageIn] = []
    for index in chosen:
        order_id, shop_id, ordered_at, buyer, bought = rows[index]
        shop = shops[shop_id]
        skus = ctx.skus[shop.code]
        others = [sku for sku in skus if sku.code != bought]
        sku = next((s for s in skus if s.code == bought), None)
        if sku is None or rng.random() >= BOUGHT_SHARE:
            sku = rng.choice(others)
        start = ordered_at - timedelta(hours=rng.uniform(1, 90))  # beyond 72 h: too late to count
        messages += _chat(
            shop, sku, buyer, rng.choice(agents), start, f"demo-{ctx.config.seed}-rec-{order_id}"
        )
    return messages


def _chat(shop: Shop, sku: Sku, buyer: str, agent: User, start: datetime, key: str) -> list[MessageIn]:
    point = sku.selling_points[0] if sku.selling_points else "口碑很好"
    lines = [
        ("customer", 0, f"想买点{sku.category or '东西'},有什么推荐的吗"),
        ("agent", 25, f"亲,推荐您看看这款{sku.name}(商品编码 {sku.code}),{point}"),
        ("customer", 70, "好的,我看看"),
    ]
    return [
        MessageIn(
            shop_id=shop.id,
            platform=shop.platform,
            session_key=key,
            sender=sender,
            text=text,
            sent_at=start + timedelta(seconds=seconds),
            agent_id=agent.id if sender == "agent" else None,
            agent_account=agent.username if sender == "agent" else None,
            customer_account=buyer,
        )
        for sender, seconds, text in lines
    ]


def _presale_follow_ups(session: Session, ctx: DemoContext, rng: random.Random, agents: list[User]) -> int:
    """Pre-sale orders whose balance (尾款) was paid after the peak opened: most were reminded in
    the peak's first minutes and paid soon after; some were reminded a day or more before paying
    (outside the window)."""
    peak = datetime.combine(ctx.config.peak_day, time(0), tzinfo=SHANGHAI)
    waited = session.execute(
        select(Order.id, Order.shop_id, Order.ordered_at, Order.paid_at)
        .where(
            Order.id.in_(ctx.order_ids),
            Order.ordered_at < peak - timedelta(hours=4),
            Order.paid_at >= peak + timedelta(minutes=3),
        )
        .order_by(Order.id)
    ).all()
    chosen = sorted(rng.sample(range(len(waited)), k=min(PRESALE_FOLLOW_UPS, len(waited))))
    rows: list[dict[str, Any]] = []
    for index in chosen:
        order_id, shop_id, ordered_at, paid_at = waited[index]
        assert paid_at is not None  # the query keeps paid orders only
        if rng.random() < 0.75:
            followed_at = peak + (paid_at - peak) * rng.uniform(0.1, 0.9)
        else:
            followed_at = max(
                ordered_at + timedelta(minutes=40), paid_at - timedelta(hours=rng.uniform(26, 60))
            )
        message = rng.random() < 0.6
        rows.append(
            {
                "order_id": order_id,
                "shop_id": shop_id,
                "agent_id": rng.choice(agents).id,
                "mode": FollowUpMode.MESSAGE if message else FollowUpMode.MANUAL,
                "template_code": followups.TEMPLATE[0] if message else None,
                "note": None if message else "电话提醒付尾款",
                "followed_at": followed_at,
            }
        )
    insert_ignore(session, OrderFollowUp, rows, conflict_columns=["order_id"])
    return len(rows)


def _unpaid_follow_ups(session: Session, ctx: DemoContext, rng: random.Random, agents: list[User]) -> int:
    """Half of the orders still waiting for payment were followed up by hand 40 minutes in."""
    unpaid = session.execute(
        select(Order.id, Order.ordered_at)
        .where(Order.id.in_(ctx.order_ids), Order.status == OrderStatus.PENDING_PAYMENT)
        .order_by(Order.id)
    ).all()
    followed = 0
    for order_id, ordered_at in unpaid:
        if rng.random() < UNPAID_FOLLOWED_SHARE:
            followups.follow_up(
                session,
                order_id=order_id,
                agent_id=rng.choice(agents).id,
                mode=FollowUpMode.MANUAL,
                note="旺旺留言提醒付款",
                now=ordered_at + timedelta(minutes=40),
            )
            followed += 1
    return followed
