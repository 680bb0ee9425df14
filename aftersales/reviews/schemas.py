from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from aftersales.catalog.models import Platform
from aftersales.kit.pii import mask_name
from aftersales.kit.time import as_utc
from aftersales.reviews.models import (
    InvitationKind,
    RatingInvitation,
    RatingRecovery,
    RecoveryStatus,
    ReplyStatus,
    Review,
    ReviewReply,
    Triage,
)


class ReviewIn(BaseModel):
    """One product review as a platform exports it. Naive times are Asia/Shanghai wall time."""

    shop_code: str = Field(min_length=1, max_length=64)
    review_id: str = Field(min_length=1, max_length=64, description="the platform's review id")
    order_no: str | None = Field(default=None, max_length=64)
    sku_code: str | None = Field(default=None, max_length=64)
    buyer: str | None = Field(default=None, max_length=128, description="buyer account")
    stars: int = Field(ge=1, le=5)
    text: str = Field(default="", max_length=5000)
    images_count: int = Field(default=0, ge=0, le=100)
    reviewed_at: datetime

    @field_validator("reviewed_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        return as_utc(value)


class IngestResult(BaseModel):
    received: int
    created: int
    updated_or_unchanged: int
    rejected: list[dict[str, Any]] = Field(default_factory=list)


class ReplyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    draft: str
    text: str
    selling_point: str | None
    edited_at: datetime | None
    posted_at: datetime | None
    approved_by: int | None
    posted_by: int | None


class ReviewRead(BaseModel):
    id: int
    shop_id: int
    platform: Platform
    review_id: str
    order_id: int | None
    order_no: str | None
    sku_id: int | None
    sku_code: str | None
    buyer: str | None
    stars: int
    text: str
    images_count: int
    reviewed_at: datetime
    triage: Triage
    triage_label: str
    is_mismatch: bool
    emotion_label: str | None
    praised: list[str]
    complaints: list[str]
    demands_compensation: bool
    needs_approval: bool
    ticket_id: int | None
    reply_status: ReplyStatus
    professional_reviewer: bool = False
    reply: ReplyRead | None = None

    @classmethod
    def for_reader(
        cls,
        review: Review,
        *,
        reveal: bool,
        reply: ReviewReply | None = None,
        professional: bool = False,
    ) -> "ReviewRead":
        """Buyer accounts are masked for everyone but admins, as customer names are."""
        return cls(
            id=review.id,
            shop_id=review.shop_id,
            platform=review.platform,
            review_id=review.source_id,
            order_id=review.order_id,
            order_no=review.order_no,
            sku_id=review.sku_id,
            sku_code=review.sku_code,
            buyer=review.buyer if reveal else mask_name(review.buyer),
            stars=review.stars,
            text=review.text,
            images_count=review.images_count,
            reviewed_at=review.reviewed_at,
            triage=review.triage,
            triage_label=review.triage.label,
            is_mismatch=review.is_mismatch,
            emotion_label=review.emotion_label,
            praised=list(review.praised or []),
            complaints=list(review.complaints or []),
            demands_compensation=review.demands_compensation,
            needs_approval=review.needs_approval,
            ticket_id=review.ticket_id,
            reply_status=review.reply_status,
            professional_reviewer=professional,
            reply=ReplyRead.model_validate(reply) if reply is not None else None,
        )


class ReplyEdit(BaseModel):
    text: str = Field(min_length=5, max_length=500, description="the reply as it will be posted")


class ReviewerMarkIn(BaseModel):
    platform: Platform
    buyer: str = Field(min_length=1, max_length=128)
    is_professional: bool = True
    reason: str = Field(min_length=2, max_length=255)


class ReviewerMarkRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    platform: Platform
    buyer: str
    negative_reviews: int
    distinct_orders: int
    compensation_demands: int
    is_professional: bool
    reason: str
    marked_by: int | None
    marked_at: datetime


class VocRow(BaseModel):
    sku_id: int | None
    sku_code: str | None
    topic: str
    polarity: str
    day: str | None = None
    count: int


class VocBoardRow(BaseModel):
    sku_id: int | None
    sku_code: str | None
    topic: str
    day: str | None = None
    chat_mentions: int
    review_complaints: int
    review_praise: int


class ChatInvitationIn(BaseModel):
    """A finished chat the customer should be invited to rate (the conversations domain calls this)."""

    shop_id: int
    session_key: str = Field(min_length=1, max_length=100)
    agent_id: int | None = None
    customer_id: int | None = None
    order_id: int | None = None
    group_code: str | None = Field(default="aftersales", max_length=32)
    finished_at: datetime | None = None

    @field_validator("finished_at")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return as_utc(value) if value is not None else None


class RatingIn(BaseModel):
    stars: int = Field(ge=1, le=5, description="1-5; 4-5 satisfied, 1-2 dissatisfied")
    comment: str | None = Field(default=None, max_length=1000)


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: InvitationKind
    subject_key: str
    ticket_id: int | None
    shop_id: int
    group_code: str | None
    agent_id: int | None
    customer_id: int | None
    order_id: int | None
    eligible_at: datetime
    invited_at: datetime | None
    skip_reason: str | None
    rated_at: datetime | None
    stars: int | None
    comment: str | None
    reinvited_at: datetime | None
    rerated_at: datetime | None
    final_stars: int | None


class RecoveryResolve(BaseModel):
    solution: str = Field(min_length=2, max_length=2000)
    recovered: bool = Field(default=True, description="false when the customer could not be won back")


class RecoveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    invitation_id: int
    shop_id: int
    order_id: int | None
    group_code: str
    problem: str
    solution: str | None
    status: RecoveryStatus
    handled_by: int | None
    created_at: datetime
    closed_at: datetime | None

    @classmethod
    def of(cls, recovery: RatingRecovery) -> "RecoveryRead":
        return cls.model_validate(recovery)


class FunnelRow(BaseModel):
    key: str
    label: str
    eligible: int
    invited: int
    rated: int
    satisfied: int
    negative: int
    rerated: int
    improved: int
    final_satisfied: int
    invite_rate: float | None
    rating_rate: float | None
    satisfaction_rate: float | None
    negative_rate: float | None
    final_satisfaction_rate: float | None


def invitation_read(invitation: RatingInvitation) -> InvitationRead:
    return InvitationRead.model_validate(invitation)
