"""Reviews: ingest, triage, professional bad-reviewer marks, reply drafts, the approval gate, VOC.

Ingestion is bulk and idempotent by the platform's review id. Triage and drafting run over a
batch of ids with a handful of statements (the figure to hold is 2,000 reviews/s): the emotion
model is asked once per batch, and only about the 4-5-star texts, where a negative text makes a
"五星差评" (mismatch). Negative, middling and mismatched reviews open a ticket for the
supervisors; replies to them are posted only by a supervisor (seed 003).
"""

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select, update
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.catalog.models import Shop
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore, upsert
from aftersales.messaging.service import queue_message
from aftersales.reviews import channels, repository, sentiment
from aftersales.reviews.aspects import Analysis, analyse
from aftersales.reviews.drafts import ReviewFacts, SkuInfo, asks_price_protection, compose, named_fault
from aftersales.reviews.errors import (
    ReplyAlreadyPostedError,
    ReplyApprovalRequiredError,
    ReplyMissingError,
    ReviewNotFoundError,
)
from aftersales.reviews.models import ReplyStatus, Review, ReviewerMark, ReviewReply, ReviewTopic, Triage
from aftersales.reviews.schemas import IngestResult, ReviewerMarkIn, ReviewIn
from aftersales.reviews.tickets_link import open_review_tickets, ticket_note

log = logging.getLogger(__name__)

REVIEW_UPDATES = (
    "shop_id order_id order_no sku_id sku_code customer_id buyer stars text images_count reviewed_at"
).split()
DEFAULT_TEXTS = frozenset(("", "此用户没有填写评价。", "此用户没有填写评价", "系统默认好评", "默认好评"))

# Professional bad-reviewer (职业差评师): many bad reviews over different orders, and money demands.
PRO_MIN_BAD_REVIEWS = 3
PRO_MIN_ORDERS = 3
PRO_MIN_COMPENSATION_DEMANDS = 1


def stars_triage(stars: int) -> Triage:
    if stars <= 2:
        return Triage.NEGATIVE
    if stars == 3:
        return Triage.MIDDLING
    return Triage.POSITIVE


# --- ingest -------------------------------------------------------------------------------------


def ingest_reviews(session: Session, reviews: Sequence[ReviewIn]) -> IngestResult:
    """Upsert reviews, then triage, draft and open tickets for the new or changed ones only."""
    shops = repository.shops_by_code(session, {r.shop_code for r in reviews})
    rejected: list[dict[str, Any]] = []
    accepted: list[tuple[ReviewIn, Shop]] = []
    for index, review in enumerate(reviews):
        shop = shops.get(review.shop_code)
        if shop is None:
            rejected.append(
                {"index": index, "field": "shop_code", "reason": f"店铺不存在: {review.shop_code}"}
            )
        else:
            accepted.append((review, shop))
    rows = _review_rows(session, accepted)
    keys = {(str(row["platform"]), row["source_id"]) for row in rows}
    existing = repository.review_ids(session, keys)
    changed = upsert(
        session,
        Review,
        rows,
        conflict_columns=("platform", "source_id"),
        update_columns=REVIEW_UPDATES,
        returning=("id",),
    )
    process_reviews(session, [row[0] for row in changed])
    created = len(keys - set(existing))
    return IngestResult(
        received=len(reviews), created=created, updated_or_unchanged=len(keys) - created, rejected=rejected
    )


def _review_rows(session: Session, accepted: list[tuple[ReviewIn, Shop]]) -> list[dict[str, Any]]:
    """Resolve order, SKU and buyer references in three lookups; unknown ones stay as text."""
    orders = repository.order_ids(session, {(str(s.platform), r.order_no) for r, s in accepted if r.order_no})
    skus = repository.sku_ids(session, {(s.id, r.sku_code) for r, s in accepted if r.sku_code})
    buyers = repository.customer_ids(session, {(str(s.platform), r.buyer) for r, s in accepted if r.buyer})
    now = utcnow()
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for review, shop in accepted:
        platform = str(shop.platform)
        rows[(platform, review.review_id)] = {
            "shop_id": shop.id,
            "platform": shop.platform,
            "source_id": review.review_id,
            "order_id": orders.get((platform, review.order_no)) if review.order_no else None,
            "order_no": review.order_no,
            "sku_id": skus.get((shop.id, review.sku_code)) if review.sku_code else None,
            "sku_code": review.sku_code,
            "customer_id": buyers.get((platform, review.buyer)) if review.buyer else None,
            "buyer": review.buyer,
            "stars": review.stars,
            "text": review.text.strip(),
            "images_count": review.images_count,
            "reviewed_at": review.reviewed_at,
            "triage": Triage.PENDING,
            "is_mismatch": False,
            "praised": [],
            "complaints": [],
            "demands_compensation": False,
            "reply_status": ReplyStatus.NONE,
            "created_at": now,
            "updated_at": now,
        }
    return list(rows.values())


def process_reviews(session: Session, review_ids: Sequence[int]) -> None:
    """Everything that follows a new or changed review: triage, marks, drafts, tickets."""
    if not review_ids:
        return
    reviews = triage_reviews(session, review_ids)
    refresh_reviewer_marks(session, {(str(r.platform), r.buyer) for r in reviews if r.buyer})
    draft_replies(session, reviews)
    open_review_tickets(session, [r for r in reviews if r.needs_approval])


# --- triage -------------------------------------------------------------------------------------


class TriagedReview:
    """The columns triage and drafting need, without loading ORM objects for 100,000 rows."""

    __slots__ = (
        "analysis",
        "buyer",
        "emotion_label",
        "fault",
        "id",
        "is_mismatch",
        "platform",
        "price_question",
        "sku_id",
        "stars",
        "triage",
    )

    def __init__(self, row: Any, analysis: Analysis, emotion: sentiment.TextEmotion | None) -> None:
        self.id: int = row.id
        self.platform = row.platform
        self.buyer: str | None = row.buyer
        self.sku_id: int | None = row.sku_id
        self.stars: int = row.stars
        self.fault = named_fault(row.text or "")
        self.price_question = asks_price_protection(row.text or "")
        self.analysis = analysis
        self.emotion_label = emotion.label if emotion else None
        self.is_mismatch = sentiment.is_mismatch(
            row.stars, emotion, praised=bool(analysis.praised), complained=bool(analysis.complaints)
        )
        self.triage = stars_triage(row.stars)

    @property
    def needs_approval(self) -> bool:
        return self.triage in (Triage.NEGATIVE, Triage.MIDDLING) or self.is_mismatch


def triage_reviews(session: Session, review_ids: Sequence[int]) -> list[TriagedReview]:
    """Sort by stars, ask the emotion model about the 4-5-star texts, extract aspects, store topics."""
    rows: list[Any] = []
    for chunk in repository.chunks(sorted(review_ids)):
        rows += session.execute(
            select(
                Review.id,
                Review.platform,
                Review.buyer,
                Review.sku_id,
                Review.shop_id,
                Review.stars,
                Review.text,
                Review.reviewed_at,
            ).where(Review.id.in_(chunk))
        ).all()
    emotions = _emotions(rows)
    triaged = [TriagedReview(row, analyse(row.text), emotions.get(row.id)) for row in rows]
    if triaged:
        session.execute(_TRIAGE_UPDATE, [_triage_values(t, emotions.get(t.id)) for t in triaged])
    _store_topics(session, rows, triaged)
    return triaged


def _emotions(rows: Sequence[Any]) -> dict[int, sentiment.TextEmotion | None]:
    """Only 4-5-star reviews with real text go to the model: elsewhere the stars already decide."""
    asked = [row for row in rows if row.stars >= 4 and row.text not in DEFAULT_TEXTS]
    results = sentiment.classify([row.text for row in asked])
    return {row.id: emotion for row, emotion in zip(asked, results, strict=True)}


_reviews_table = cast(Table, Review.__table__)
# A Core executemany keyed by id: the ORM's bulk-update path costs several times more per row.
_TRIAGE_UPDATE = update(_reviews_table).where(_reviews_table.c.id == bindparam("review_id"))


def _triage_values(review: TriagedReview, emotion: sentiment.TextEmotion | None) -> dict[str, Any]:
    return {
        "review_id": review.id,
        "triage": review.triage,
        "is_mismatch": review.is_mismatch,
        "emotion_label": emotion.label if emotion else None,
        "emotion_confidence": emotion.confidence if emotion else None,
        "praised": review.analysis.praised,
        "complaints": review.analysis.complaints,
        "demands_compensation": review.analysis.demands_compensation,
    }


def _store_topics(session: Session, rows: Sequence[Any], triaged: list[TriagedReview]) -> None:
    ids = [t.id for t in triaged]
    for chunk in repository.chunks(ids):
        session.execute(delete(ReviewTopic).where(ReviewTopic.review_id.in_(chunk)))
    topics = []
    for row, review in zip(rows, triaged, strict=True):
        for polarity, names in (
            ("positive", review.analysis.praised),
            ("negative", review.analysis.complaints),
        ):
            for topic in names:
                topics.append(
                    {
                        "review_id": row.id,
                        "shop_id": row.shop_id,
                        "sku_id": row.sku_id,
                        "topic": topic,
                        "polarity": polarity,
                        "reviewed_at": row.reviewed_at,
                    }
                )
    insert_ignore(session, ReviewTopic, topics, conflict_columns=("review_id", "topic"))


# --- professional bad-reviewers ----------------------------------------------------------------


def refresh_reviewer_marks(session: Session, buyers: set[tuple[str, str]]) -> None:
    """Mark buyers whose bad reviews span many orders and ask for money; people may override."""
    if not buyers:
        return
    rows = []
    for platform, buyer, bad, orders, demands in repository.bad_review_stats(session, buyers):
        if (
            bad >= PRO_MIN_BAD_REVIEWS
            and orders >= PRO_MIN_ORDERS
            and demands >= PRO_MIN_COMPENSATION_DEMANDS
        ):
            rows.append(
                {
                    "platform": platform,
                    "buyer": buyer,
                    "negative_reviews": bad,
                    "distinct_orders": orders,
                    "compensation_demands": demands,
                    "is_professional": True,
                    "reason": f"{orders} 个订单共 {bad} 条差评,其中 {demands} 条索要赔偿",
                    "marked_by": None,
                    "marked_at": utcnow(),
                }
            )
    # Counts follow the data; a person's decision (marked_by set) is never overwritten.
    upsert(
        session,
        ReviewerMark,
        rows,
        conflict_columns=("platform", "buyer"),
        update_columns=("negative_reviews", "distinct_orders", "compensation_demands"),
    )


def mark_reviewer(session: Session, *, data: ReviewerMarkIn, actor: User) -> ReviewerMark:
    """A supervisor's decision that a buyer is (or is not) a professional bad-reviewer."""
    mark = session.scalar(
        select(ReviewerMark).where(ReviewerMark.platform == data.platform, ReviewerMark.buyer == data.buyer)
    )
    if mark is None:
        mark = ReviewerMark(
            platform=data.platform,
            buyer=data.buyer,
            negative_reviews=0,
            distinct_orders=0,
            compensation_demands=0,
        )
        session.add(mark)
    mark.is_professional = data.is_professional
    mark.reason = data.reason
    mark.marked_by = actor.id
    mark.marked_at = utcnow()
    session.flush()
    return mark


def professional_keys(session: Session, reviews: Sequence[Review]) -> set[tuple[str, str]]:
    """The (platform, buyer) pairs of a page of reviews that are marked, in one query."""
    return repository.professional_buyers(session, {(str(r.platform), r.buyer) for r in reviews if r.buyer})


def is_professional(session: Session, review: Review) -> bool:
    if not review.buyer:
        return False
    return bool(repository.professional_buyers(session, {(str(review.platform), review.buyer)}))


# --- drafts -------------------------------------------------------------------------------------


def draft_replies(session: Session, reviews: list[TriagedReview]) -> None:
    """Draft replies for reviews nobody has edited or posted yet, SKU by SKU in review order."""
    existing = repository.replies_for(session, [r.id for r in reviews])
    todo = [r for r in reviews if r.id not in existing or existing[r.id].edited_at is None]
    todo = [r for r in todo if r.id not in existing or existing[r.id].posted_at is None]
    if not todo:
        return
    sku_ids = {r.sku_id for r in todo if r.sku_id is not None}
    skus = {
        sku_id: SkuInfo(sku.name, list(sku.selling_points or []))
        for sku_id, sku in repository.skus_by_id(session, sku_ids).items()
    }
    last_keys = repository.last_reply_keys(session, sku_ids)
    pros = repository.professional_buyers(session, {(str(r.platform), r.buyer) for r in todo if r.buyer})
    rows = []
    now = utcnow()
    for review in todo:
        facts = ReviewFacts(
            stars=review.stars,
            negative=review.triage == Triage.NEGATIVE,
            mismatch=review.is_mismatch,
            professional=(str(review.platform), review.buyer) in pros,
            analysis=review.analysis,
            emotion_label=review.emotion_label,
            variant=review.id,
            fault=review.fault,
            price_question=review.price_question,
        )
        previous = last_keys.get(review.sku_id, frozenset()) if review.sku_id else frozenset()
        draft = compose(facts, skus.get(review.sku_id) if review.sku_id else None, previous)
        if review.sku_id is not None and not review.needs_approval:
            last_keys[review.sku_id] = frozenset(draft.keys)
        rows.append(
            {
                "review_id": review.id,
                "sku_id": review.sku_id,
                "draft": draft.text,
                "text": draft.text,
                "sentences": list(draft.keys),
                "selling_point": draft.selling_point,
                "created_at": now,
            }
        )
    upsert(
        session,
        ReviewReply,
        rows,
        conflict_columns=("review_id",),
        update_columns=("sku_id", "draft", "text", "sentences", "selling_point"),
    )
    for chunk in repository.chunks([row["review_id"] for row in rows]):
        session.execute(update(Review).where(Review.id.in_(chunk)).values(reply_status=ReplyStatus.DRAFT))


# --- replies and the approval gate -------------------------------------------------------------


def get_review(session: Session, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise ReviewNotFoundError(review_id)
    return review


def get_reply(session: Session, review_id: int) -> ReviewReply | None:
    return session.scalar(select(ReviewReply).where(ReviewReply.review_id == review_id))


def edit_reply(session: Session, *, review_id: int, text: str, actor: User) -> ReviewReply:
    """Anyone may edit a draft; only the posting is gated."""
    review = get_review(session, review_id)
    reply = get_reply(session, review_id)
    if reply is not None and reply.posted_at is not None:
        raise ReplyAlreadyPostedError()
    if reply is None:
        reply = ReviewReply(review_id=review.id, sku_id=review.sku_id, draft="", sentences=[])
        session.add(reply)
    reply.text = text.strip()
    reply.edited_by = actor.id
    reply.edited_at = utcnow()
    review.reply_status = ReplyStatus.DRAFT
    session.flush()
    return reply


def redraft(session: Session, *, review_id: int) -> ReviewReply:
    """Throw away edits and generate the draft again (e.g. after the SKU's selling points changed)."""
    reply = get_reply(session, review_id)
    if reply is not None and reply.posted_at is not None:
        raise ReplyAlreadyPostedError()
    if reply is not None:
        reply.edited_at = None
        session.flush()
    process_reviews(session, [review_id])
    session.expire_all()
    result = get_reply(session, review_id)
    if result is None:
        raise ReplyMissingError()
    return result


def post_reply(session: Session, *, review_id: int, actor: User) -> ReviewReply:
    """Queue the reply to the platform adapter; negative-side replies need a supervisor (server-side)."""
    review = get_review(session, review_id)
    if review.needs_approval and not actor.role.at_least(Role.SUPERVISOR):
        raise ReplyApprovalRequiredError()
    reply = get_reply(session, review_id)
    if reply is None or not reply.text.strip():
        raise ReplyMissingError()
    if reply.posted_at is not None:
        raise ReplyAlreadyPostedError()
    shop = session.get_one(Shop, review.shop_id)
    queue_message(
        session,
        channel=channels.CHANNEL,
        destination=channels.reply_destination(str(review.platform), shop.code, review.source_id),
        payload={"text": reply.text, "order_no": review.order_no, "stars": review.stars},
        idempotency_key=f"reviews:reply:{review.id}",
        subject=("review", review.id),
    )
    reply.posted_at = utcnow()
    reply.posted_by = actor.id
    if review.needs_approval:
        reply.approved_by = actor.id
    review.reply_status = ReplyStatus.POSTED
    session.flush()
    if review.ticket_id is not None:
        ticket_note(
            session, ticket_id=review.ticket_id, actor_id=actor.id, message=f"评价回复已发布: {reply.text}"
        )
    return reply


# --- VOC ----------------------------------------------------------------------------------------


def voc(
    session: Session,
    *,
    shop_id: int | None = None,
    sku_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    by_day: bool = False,
) -> list[dict[str, Any]]:
    """What customers say per SKU and topic (VOC), with counts per day when asked."""
    rows = repository.voc_counts(
        session, shop_id=shop_id, sku_id=sku_id, since=since, until=until, by_day=by_day
    )
    keys = ["sku_id", "sku_code", "topic", "polarity", *(["day"] if by_day else []), "count"]
    return [dict(zip(keys, row, strict=True)) for row in rows]
