"""Product reviews, their reply drafts, reviewer marks, VOC topics and the rating funnel.

Reviews are keyed by ``(platform, source_id)`` (the platform's review id), so a repeat delivery
updates in place. Tickets are referenced by id only: the ticket row belongs to the tickets domain.
"""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.catalog.models import Platform, platform_enum
from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


def _str_enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class Triage(enum.StrEnum):
    PENDING = "pending"
    POSITIVE = "positive"
    MIDDLING = "middling"
    NEGATIVE = "negative"

    @property
    def label(self) -> str:
        return TRIAGE_LABELS[self]


TRIAGE_LABELS = {
    Triage.PENDING: "待分拣",
    Triage.POSITIVE: "好评",
    Triage.MIDDLING: "中评",
    Triage.NEGATIVE: "差评",
}


class ReplyStatus(enum.StrEnum):
    NONE = "none"
    DRAFT = "draft"
    POSTED = "posted"

    @property
    def label(self) -> str:
        return {"none": "无", "draft": "草稿待发布", "posted": "已发布"}[self.value]


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("platform", "source_id"),
        Index("ix_reviews_shop_id_reviewed_at", "shop_id", "reviewed_at"),
        Index("ix_reviews_sku_id_reviewed_at", "sku_id", "reviewed_at"),
        Index("ix_reviews_triage_reviewed_at", "triage", "reviewed_at"),
        Index("ix_reviews_platform_buyer", "platform", "buyer"),
        Index("ix_reviews_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    platform: Mapped[Platform] = mapped_column(platform_enum())
    source_id: Mapped[str] = mapped_column(String(64), comment="the platform's review id")
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    order_no: Mapped[str | None] = mapped_column(String(64))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id", ondelete="SET NULL"))
    sku_code: Mapped[str | None] = mapped_column(String(64))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    buyer: Mapped[str | None] = mapped_column(String(128), comment="buyer account on the platform")
    stars: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    images_count: Mapped[int] = mapped_column(Integer, default=0)
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    triage: Mapped[Triage] = mapped_column(_str_enum(Triage), default=Triage.PENDING)
    is_mismatch: Mapped[bool] = mapped_column(Boolean, default=False, comment="4-5 stars, negative text")
    emotion_label: Mapped[str | None] = mapped_column(String(16))
    emotion_confidence: Mapped[float | None] = mapped_column(Float)
    praised: Mapped[list[str]] = mapped_column(JSONType, default=list, comment="topics praised")
    complaints: Mapped[list[str]] = mapped_column(JSONType, default=list, comment="topics complained about")
    demands_compensation: Mapped[bool] = mapped_column(Boolean, default=False)
    ticket_id: Mapped[int | None] = mapped_column(Integer, comment="tickets.id of the follow-up ticket")
    reply_status: Mapped[ReplyStatus] = mapped_column(_str_enum(ReplyStatus), default=ReplyStatus.NONE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def needs_approval(self) -> bool:
        """Seed 003: replies to bad, middling and five-star-negative reviews are a supervisor's job."""
        return self.triage in (Triage.NEGATIVE, Triage.MIDDLING) or self.is_mismatch


class ReviewReply(Base):
    """The one reply of a review: a generated draft, edited by people, posted once through the outbox."""

    __tablename__ = "review_replies"
    __table_args__ = (Index("ix_review_replies_sku_id_id", "sku_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), unique=True)
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id", ondelete="SET NULL"))
    draft: Mapped[str] = mapped_column(Text, comment="as generated")
    text: Mapped[str] = mapped_column(Text, comment="as edited; what gets posted")
    sentences: Mapped[list[str]] = mapped_column(JSONType, default=list, comment="keys of the sentences used")
    selling_point: Mapped[str | None] = mapped_column(String(255))
    edited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    posted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ReviewerMark(Base):
    """A buyer account suspected of being a professional bad-reviewer (职业差评师)."""

    __tablename__ = "reviewer_marks"
    __table_args__ = (UniqueConstraint("platform", "buyer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[Platform] = mapped_column(platform_enum())
    buyer: Mapped[str] = mapped_column(String(128))
    negative_reviews: Mapped[int] = mapped_column(Integer, default=0)
    distinct_orders: Mapped[int] = mapped_column(Integer, default=0)
    compensation_demands: Mapped[int] = mapped_column(Integer, default=0)
    is_professional: Mapped[bool] = mapped_column(Boolean, default=True)
    reason: Mapped[str] = mapped_column(String(255))
    marked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewTopic(Base):
    """One topic (质量, 物流, 屏幕…) a review talks about: the VOC counted per SKU over time."""

    __tablename__ = "review_topics"
    __table_args__ = (
        UniqueConstraint("review_id", "topic"),
        Index("ix_review_topics_sku_id_reviewed_at", "sku_id", "reviewed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    sku_id: Mapped[int | None] = mapped_column(ForeignKey("skus.id", ondelete="SET NULL"))
    topic: Mapped[str] = mapped_column(String(32))
    polarity: Mapped[str] = mapped_column(String(16), comment="positive / negative")
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InvitationKind(enum.StrEnum):
    TICKET = "ticket"
    CHAT = "chat"


class RatingInvitation(Base):
    """One served customer in the rating funnel (邀评): eligible, invited, rated, maybe re-rated.

    Every resolved ticket and finished chat gets a row, invited or not, so the invite rate has its
    denominator. ``stars`` is the first rating; ``final_stars`` the one after a recovery.
    """

    __tablename__ = "rating_invitations"
    __table_args__ = (
        UniqueConstraint("subject_key"),
        Index("ix_rating_invitations_shop_id_eligible_at", "shop_id", "eligible_at"),
        Index("ix_rating_invitations_agent_id_eligible_at", "agent_id", "eligible_at"),
        Index("ix_rating_invitations_customer_id_invited_at", "customer_id", "invited_at"),
        # Covering index of the analytics scorecard (migration 0701).
        Index(
            "ix_rating_invitations_scorecard", "eligible_at", "agent_id", "invited_at", "stars", "final_stars"
        ),
        # Agent first (migration 0702): the scorecard's GROUP BY agent reads it in order, no sort.
        Index(
            "ix_rating_invitations_scorecard_agent",
            "agent_id",
            "eligible_at",
            "invited_at",
            "stars",
            "final_stars",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[InvitationKind] = mapped_column(_str_enum(InvitationKind))
    subject_key: Mapped[str] = mapped_column(String(128), comment="ticket:<id> or chat:<session key>")
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    group_code: Mapped[str | None] = mapped_column(String(32))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    eligible_at: Mapped[datetime] = mapped_column(UTCDateTime)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skip_reason: Mapped[str | None] = mapped_column(String(64))
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    stars: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    reinvited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rerated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    final_stars: Mapped[int | None] = mapped_column(Integer)


class RecoveryStatus(enum.StrEnum):
    OPEN = "open"
    RECOVERED = "recovered"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return {"open": "跟进中", "recovered": "已挽回", "failed": "未挽回"}[self.value]


class RatingRecovery(Base):
    """Seed 000's follow-up form for a negative chat rating: problem, solution, CC'd to the group bot."""

    __tablename__ = "rating_recoveries"
    __table_args__ = (Index("ix_rating_recoveries_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(
        ForeignKey("rating_invitations.id", ondelete="CASCADE"), unique=True
    )
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    group_code: Mapped[str] = mapped_column(String(32))
    problem: Mapped[str] = mapped_column(Text)
    solution: Mapped[str | None] = mapped_column(Text)
    status: Mapped[RecoveryStatus] = mapped_column(_str_enum(RecoveryStatus), default=RecoveryStatus.OPEN)
    handled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
