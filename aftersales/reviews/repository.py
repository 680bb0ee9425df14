"""Every query of the reviews domain."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, cast, func, literal, select, tuple_
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop, Sku
from aftersales.conversations.models import ChatSession
from aftersales.orders.models import Customer, Order
from aftersales.reviews.models import (
    RatingInvitation,
    ReplyStatus,
    Review,
    ReviewerMark,
    ReviewReply,
    ReviewTopic,
    Triage,
)
from aftersales.web.sorting import SortChoice

CHUNK = 2000


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def shops_by_code(session: Session, codes: set[str]) -> dict[str, Shop]:
    return {s.code: s for s in session.scalars(select(Shop).where(Shop.code.in_(codes)))}


def ids_by_pair(
    session: Session, column_a: Any, column_b: Any, id_column: Any, pairs: set[Any]
) -> dict[Any, int]:
    """``(a, b) -> id`` for the pairs that exist, one ``IN`` per chunk."""
    found: dict[Any, int] = {}
    for chunk in chunks(sorted(pairs)):
        rows = session.execute(
            select(column_a, column_b, id_column).where(tuple_(column_a, column_b).in_(chunk))
        )
        found.update({(str(a), b): row_id for a, b, row_id in rows})
    return found


def order_ids(session: Session, pairs: set[tuple[str, str]]) -> dict[Any, int]:
    return ids_by_pair(session, Order.platform, Order.source_id, Order.id, pairs)


def customer_ids(session: Session, pairs: set[tuple[str, str]]) -> dict[Any, int]:
    return ids_by_pair(session, Customer.platform, Customer.source_id, Customer.id, pairs)


def sku_ids(session: Session, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    found: dict[tuple[int, str], int] = {}
    for chunk in chunks(sorted(pairs)):
        rows = session.execute(
            select(Sku.shop_id, Sku.code, Sku.id).where(tuple_(Sku.shop_id, Sku.code).in_(chunk))
        )
        found.update({(shop_id, code): sku_id for shop_id, code, sku_id in rows})
    return found


def review_ids(session: Session, keys: set[tuple[str, str]]) -> dict[Any, int]:
    return ids_by_pair(session, Review.platform, Review.source_id, Review.id, keys)


def reviews_by_id(session: Session, ids: Sequence[int]) -> list[Review]:
    found: list[Review] = []
    for chunk in chunks(sorted(ids)):
        found += session.scalars(select(Review).where(Review.id.in_(chunk)).order_by(Review.id))
    return found


def replies_for(session: Session, review_ids: Sequence[int]) -> dict[int, ReviewReply]:
    found: dict[int, ReviewReply] = {}
    for chunk in chunks(sorted(review_ids)):
        found.update(
            {
                r.review_id: r
                for r in session.scalars(select(ReviewReply).where(ReviewReply.review_id.in_(chunk)))
            }
        )
    return found


def last_reply_keys(session: Session, sku_ids: set[int]) -> dict[int, frozenset[str]]:
    """The sentence keys of each SKU's most recent positive reply: the next one must not repeat them."""
    found: dict[int, frozenset[str]] = {}
    for chunk in chunks(sorted(sku_ids)):
        latest = (
            select(func.max(ReviewReply.id))
            .join(Review, Review.id == ReviewReply.review_id)
            .where(ReviewReply.sku_id.in_(chunk), Review.triage == Triage.POSITIVE, ~Review.is_mismatch)
            .group_by(ReviewReply.sku_id)
        ).scalar_subquery()
        rows = session.execute(
            select(ReviewReply.sku_id, ReviewReply.sentences).where(ReviewReply.id.in_(latest))
        )
        found.update({sku_id: frozenset(keys or []) for sku_id, keys in rows if sku_id is not None})
    return found


def skus_by_id(session: Session, ids: set[int]) -> dict[int, Sku]:
    found: dict[int, Sku] = {}
    for chunk in chunks(sorted(ids)):
        found.update({s.id: s for s in session.scalars(select(Sku).where(Sku.id.in_(chunk)))})
    return found


def professional_buyers(session: Session, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for chunk in chunks(sorted(keys)):
        rows = session.execute(
            select(ReviewerMark.platform, ReviewerMark.buyer).where(
                tuple_(ReviewerMark.platform, ReviewerMark.buyer).in_(chunk), ReviewerMark.is_professional
            )
        )
        found.update((str(p), b) for p, b in rows)
    return found


def bad_review_stats(session: Session, keys: set[tuple[str, str]]) -> list[tuple[str, str, int, int, int]]:
    """Per buyer: bad reviews (1-2 stars or five-star-negative), distinct orders, compensation demands."""
    bad = (Review.stars <= 2) | Review.is_mismatch
    rows: list[tuple[str, str, int, int, int]] = []
    for chunk in chunks(sorted(keys)):
        statement = (
            select(
                Review.platform,
                Review.buyer,
                func.count(),
                func.count(func.distinct(func.coalesce(Review.order_no, Review.source_id))),
                func.sum(case((Review.demands_compensation, 1), else_=0)),
            )
            .where(tuple_(Review.platform, Review.buyer).in_(chunk), bad)
            .group_by(Review.platform, Review.buyer)
        )
        rows += [(str(p), b, int(n), int(o), int(c or 0)) for p, b, n, o, c in session.execute(statement)]
    return rows


# The orders the review inbox offers besides its default (newest first).
SORTS = {
    "reviewed_asc": SortChoice("评价时间(早→晚)", (Review.reviewed_at, Review.id)),
    "stars_asc": SortChoice("星级(低→高)", (Review.stars, Review.reviewed_at.desc(), Review.id)),
}


def inbox(
    *,
    shop_id: int | None = None,
    stars: int | None = None,
    triage: Triage | None = None,
    mismatch: bool | None = None,
    sku_id: int | None = None,
    replied: bool | None = None,
    order_no: str | None = None,
) -> Select[Any]:
    """The review inbox, newest first; every filter matches an index prefix or narrows a small set."""
    statement = select(Review).order_by(Review.reviewed_at.desc(), Review.id.desc())
    conditions: list[ColumnElement[bool]] = []
    if order_no:
        by_number = select(Order.id).where(Order.source_id == order_no.strip())
        conditions.append(Review.order_id.in_(by_number))
    if shop_id is not None:
        conditions.append(Review.shop_id == shop_id)
    if stars is not None:
        conditions.append(Review.stars == stars)
    if triage is not None:
        conditions.append(Review.triage == triage)
    if mismatch is not None:
        conditions.append(Review.is_mismatch.is_(mismatch))
    if sku_id is not None:
        conditions.append(Review.sku_id == sku_id)
    if replied is not None:
        posted = Review.reply_status == ReplyStatus.POSTED
        conditions.append(posted if replied else ~posted)
    return statement.where(and_(*conditions)) if conditions else statement


def voc_counts(
    session: Session,
    *,
    shop_id: int | None,
    sku_id: int | None,
    since: datetime | None,
    until: datetime | None,
    by_day: bool,
) -> list[tuple[Any, ...]]:
    """Topic counts per SKU and polarity, optionally per Shanghai calendar day."""
    day = local_day(session, ReviewTopic.reviewed_at)
    columns: list[Any] = [ReviewTopic.sku_id, Sku.code, ReviewTopic.topic, ReviewTopic.polarity]
    if by_day:
        columns.append(day.label("day"))
    statement = select(*columns, func.count().label("n")).outerjoin(Sku, Sku.id == ReviewTopic.sku_id)
    if shop_id is not None:
        statement = statement.where(ReviewTopic.shop_id == shop_id)
    if sku_id is not None:
        statement = statement.where(ReviewTopic.sku_id == sku_id)
    if since is not None:
        statement = statement.where(ReviewTopic.reviewed_at >= since)
    if until is not None:
        statement = statement.where(ReviewTopic.reviewed_at < until)
    group = columns
    statement = statement.group_by(*group).order_by(func.count().desc(), ReviewTopic.topic)
    return [tuple(row) for row in session.execute(statement)]


def local_day(session: Session, column: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Asia/Shanghai", column), "YYYY-MM-DD")
    return func.date(column, "+8 hours")


FUNNEL_KEYS = {
    "shop": RatingInvitation.shop_id,
    "group": RatingInvitation.group_code,
    "agent": RatingInvitation.agent_id,
}


def funnel_counts(
    session: Session, *, by: str, since: datetime | None, until: datetime | None
) -> list[tuple[Any, ...]]:
    """One grouped pass over the invitations: every stage of the funnel as a conditional count."""
    key = FUNNEL_KEYS[by]
    inv = RatingInvitation

    def count_if(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    statement = select(
        key,
        func.count(),
        count_if(inv.invited_at.is_not(None)),
        count_if(inv.rated_at.is_not(None)),
        count_if(inv.stars >= 4),
        count_if(inv.stars <= 2),
        count_if(inv.rerated_at.is_not(None)),
        count_if(inv.final_stars > inv.stars),
        count_if(inv.final_stars >= 4),
    ).group_by(key)
    if since is not None:
        statement = statement.where(inv.eligible_at >= since)
    if until is not None:
        statement = statement.where(inv.eligible_at < until)
    return [tuple(row) for row in session.execute(statement.order_by(key))]


def finished_chats_without_invitation(
    session: Session, *, idle_since: datetime, not_before: datetime, limit: int
) -> list[Any]:
    """Agent-served chats quiet since ``idle_since`` with no funnel row yet (anti-join on the key)."""
    key = literal("chat:") + cast(ChatSession.shop_id, String) + literal(":") + ChatSession.session_key
    registered = select(RatingInvitation.id).where(RatingInvitation.subject_key == key)
    statement = (
        select(ChatSession)
        .where(
            ChatSession.agent_id.is_not(None),
            ChatSession.ended_at < idle_since,
            ChatSession.ended_at >= not_before,
            ~registered.exists(),
        )
        .order_by(ChatSession.ended_at)
        .limit(limit)
    )
    return list(session.scalars(statement))


def recently_invited(session: Session, *, customer_id: int, since: datetime, until: datetime) -> bool:
    statement = select(RatingInvitation.id).where(
        RatingInvitation.customer_id == customer_id,
        RatingInvitation.invited_at >= since,
        RatingInvitation.invited_at < until,
    )
    return session.scalar(statement.limit(1)) is not None


def agent_groups(session: Session, agent_ids: Iterable[int]) -> dict[int, str]:
    """Each agent's group (客服组): the ticket group of most of the tickets assigned to them, since
    agents belong to no group of their own; ranked in the database, ties to the lower group id."""
    from aftersales.tickets.models import Ticket, TicketGroup

    ids = set(agent_ids)
    if not ids:
        return {}
    count = func.count()
    rank = func.row_number().over(partition_by=Ticket.assignee_id, order_by=(count.desc(), TicketGroup.id))
    ranked = (
        select(Ticket.assignee_id, TicketGroup.code, rank.label("rank"))
        .join(TicketGroup, TicketGroup.id == Ticket.group_id)
        .where(Ticket.assignee_id.in_(ids))
        .group_by(Ticket.assignee_id, TicketGroup.id, TicketGroup.code)
        .subquery()
    )
    rows = session.execute(select(ranked.c.assignee_id, ranked.c.code).where(ranked.c.rank == 1))
    return {int(agent_id): str(code) for agent_id, code in rows}
