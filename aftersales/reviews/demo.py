"""Demo reviews and a rating funnel for the demo promotion.

About a third of the delivered orders get a product review: mostly positive, some middling and
negative, a few five-star-negatives, and one professional bad-reviewer across four orders. Part
of the positive replies are already posted by agents, a few negative ones approved by the lead;
the rest wait in the inbox. Finished chats get rating invitations, ratings, recoveries and
re-ratings, so the funnel dashboard has every stage.
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.auth.service import create_user
from aftersales.catalog.models import Shop, Sku
from aftersales.demo.context import DemoContext
from aftersales.demo.users import DEMO_USERS
from aftersales.orders.models import Customer, Order, OrderItem, Shipment
from aftersales.reviews import ratings, service
from aftersales.reviews.models import RecoveryStatus, Review, Triage
from aftersales.reviews.samples import draw_kind, sample_review
from aftersales.reviews.schemas import ReviewIn

REVIEW_SHARE = 0.35
MAX_REVIEWS = 600
CHAT_SHARE = 0.25
MAX_CHATS = 400
BATCH = 500
PROFESSIONAL = "tb_差评达人2026"


DEMO_PREFIX = "DEMO-RV-"


def extend(session: Session, ctx: DemoContext) -> None:
    """Runs once: a second ``aftersales demo`` on the same database leaves the demo reviews as they are
    (posted replies are final, so they cannot be drawn again)."""
    if session.scalar(select(Review.id).where(Review.source_id.like(f"{DEMO_PREFIX}%")).limit(1)) is not None:
        return
    rng = ctx.rng("reviews")
    users = _users(session)
    delivered = _delivered(session, ctx.config.as_of)
    reviews = _reviews(session, rng, delivered, ctx.config.as_of)
    posted = _post_some(session, rng, users)
    chats = _chats(session, rng, delivered, users, ctx.config.as_of)
    ctx.summary["reviews"] = reviews
    ctx.summary["review_replies_posted"] = posted
    ctx.summary["rating_invitations"] = chats


def _users(session: Session) -> dict[str, User]:
    existing = {u.username: u for u in session.scalars(select(User))}
    for username, (password, role, name) in DEMO_USERS.items():
        if username not in existing:
            existing[username] = create_user(
                session, username=username, display_name=name, role=role, password=password
            )
    return existing


def _delivered(session: Session, as_of: datetime) -> list[tuple[int, str, str, str, int, str, datetime]]:
    """(order id, order no, shop code, buyer, customer id, first SKU code, delivered at), oldest first."""
    first_line = (
        select(OrderItem.order_id, func.min(OrderItem.line_no).label("line_no"))
        .group_by(OrderItem.order_id)
        .subquery()
    )
    delivered = (
        select(Shipment.order_id, func.min(Shipment.delivered_at).label("at"))
        .where(Shipment.delivered_at.is_not(None), Shipment.delivered_at <= as_of)
        .group_by(Shipment.order_id)
        .subquery()
    )
    statement = (
        select(
            Order.id,
            Order.source_id,
            Shop.code,
            Customer.source_id,
            Customer.id,
            OrderItem.sku_code,
            delivered.c.at,
        )
        .join(delivered, delivered.c.order_id == Order.id)
        .join(Shop, Shop.id == Order.shop_id)
        .join(Customer, Customer.id == Order.customer_id)
        .join(first_line, first_line.c.order_id == Order.id)
        .join(OrderItem, (OrderItem.order_id == Order.id) & (OrderItem.line_no == first_line.c.line_no))
        .order_by(Order.id)
    )
    return [tuple(row) for row in session.execute(statement)]


def _reviews(
    session: Session,
    rng: random.Random,
    delivered: list[tuple[int, str, str, str, int, str, datetime]],
    as_of: datetime,
) -> int:
    if not delivered:
        return 0
    categories = dict(session.execute(select(Sku.code, Sku.category)).all())
    count = min(MAX_REVIEWS, int(len(delivered) * REVIEW_SHARE))
    chosen = sorted(rng.sample(range(len(delivered)), count))
    # The professional's account lives on one platform: four of one shop's orders.
    first_shop = delivered[chosen[0]][2]
    professional_orders = [i for i in chosen if delivered[i][2] == first_shop][:: max(1, count // 40)][:4]
    items: list[ReviewIn] = []
    for index in chosen:
        _order_id, order_no, shop_code, buyer, _customer_id, sku_code, delivered_at = delivered[index]
        professional = index in professional_orders
        kind = "professional" if professional else draw_kind(rng)
        sample = sample_review(rng, category=categories.get(sku_code), kind=kind)
        items.append(
            ReviewIn(
                shop_code=shop_code,
                review_id=f"{DEMO_PREFIX}{order_no}",
                order_no=order_no,
                sku_code=sku_code,
                buyer=PROFESSIONAL if professional else buyer,
                stars=sample.stars,
                text=sample.text,
                images_count=rng.choice((0, 0, 0, 1, 3)),
                reviewed_at=min(as_of, delivered_at + timedelta(hours=rng.randint(6, 96))),
            )
        )
    for start in range(0, len(items), BATCH):
        service.ingest_reviews(session, items[start : start + BATCH])
    return len(items)


def _post_some(session: Session, rng: random.Random, users: dict[str, User]) -> int:
    """Agents posted about half the positive replies; the lead approved a few negative ones."""
    agents = [u for u in users.values() if u.role == Role.AGENT and u.username in DEMO_USERS]
    lead = next(u for u in users.values() if u.role == Role.SUPERVISOR and u.username in DEMO_USERS)
    rows = session.execute(
        select(Review.id, Review.triage, Review.is_mismatch)
        .where(Review.source_id.like(f"{DEMO_PREFIX}%"))
        .order_by(Review.id)
    ).all()
    posted = 0
    for review_id, triage, mismatch in rows:
        positive = triage == Triage.POSITIVE and not mismatch
        if positive and rng.random() < 0.5:
            service.post_reply(session, review_id=review_id, actor=rng.choice(agents))
            posted += 1
        elif not positive and rng.random() < 0.2:
            service.post_reply(session, review_id=review_id, actor=lead)
            posted += 1
    return posted


def _chats(
    session: Session,
    rng: random.Random,
    delivered: list[tuple[int, str, str, str, int, str, datetime]],
    users: dict[str, User],
    as_of: datetime,
) -> int:
    shops = {s.code: s.id for s in session.scalars(select(Shop))}
    agents = [u for u in users.values() if u.role == Role.AGENT and u.username in DEMO_USERS]
    count = min(MAX_CHATS, int(len(delivered) * CHAT_SHARE))
    chosen = rng.sample(delivered, min(count, len(delivered)))
    for order_id, _no, shop_code, _buyer, customer_id, _sku, delivered_at in chosen:
        invitation = ratings.invite_after_chat(
            session,
            shop_id=shops[shop_code],
            session_key=f"demo-{order_id}",
            agent_id=rng.choice(agents).id,
            customer_id=customer_id if rng.random() < 0.9 else None,
            order_id=order_id,
            finished_at=min(as_of, delivered_at + timedelta(hours=rng.randint(1, 48))),
        )
        if invitation.invited_at is not None and rng.random() < 0.45:
            _rate(session, rng, invitation.id, users)
    return len(chosen)


def _rate(session: Session, rng: random.Random, invitation_id: int, users: dict[str, User]) -> None:
    stars = rng.choices((5, 4, 3, 2, 1), (70, 14, 6, 5, 5))[0]
    comment = rng.choice(("客服回复太慢", "问题没解决", "态度不好")) if stars <= 2 else None
    invitation = ratings.record_rating(session, invitation_id=invitation_id, stars=stars, comment=comment)
    if stars > 2 or rng.random() < 0.3:
        return
    recovery = ratings.recovery_for(session, invitation_id=invitation.id)
    if recovery is None:
        return
    recovered = rng.random() < 0.7
    ratings.close_recovery(
        session,
        recovery_id=recovery.id,
        solution="已电话回访并补发赠品" if recovered else "顾客拒绝沟通",
        recovered=recovered,
        actor=users["lead"],
    )
    if recovered and rng.random() < 0.8 and recovery.status == RecoveryStatus.RECOVERED:
        ratings.record_rating(session, invitation_id=invitation_id, stars=rng.choice((4, 5, 5)))
