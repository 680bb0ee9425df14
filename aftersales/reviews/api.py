"""Reviews and the rating funnel over HTTP: thin handlers over ``service`` and ``ratings``."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query

from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.kit.pagination import Page, PageDep, paginate
from aftersales.kit.time import as_utc
from aftersales.reviews import ratings, repository, service
from aftersales.reviews import voc as voc_joined
from aftersales.reviews.models import RecoveryStatus, Triage
from aftersales.reviews.schemas import (
    ChatInvitationIn,
    FunnelRow,
    IngestResult,
    InvitationRead,
    RatingIn,
    RecoveryRead,
    RecoveryResolve,
    ReplyEdit,
    ReplyRead,
    ReviewerMarkIn,
    ReviewerMarkRead,
    ReviewIn,
    ReviewRead,
    VocBoardRow,
    VocRow,
    invitation_read,
)

router = APIRouter(prefix="/api", tags=["reviews"])

BATCH_LIMIT = 5000


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


@router.post("/reviews", response_model=IngestResult, summary="Ingest one review (idempotent by review id)")
def ingest_review(session: SessionDep, _: RequireAgent, body: ReviewIn) -> IngestResult:
    return service.ingest_reviews(session, [body])


@router.post("/reviews/batch", response_model=IngestResult)
def ingest_reviews(
    session: SessionDep, _: RequireAgent, body: Annotated[list[ReviewIn], Body(max_length=BATCH_LIMIT)]
) -> IngestResult:
    return service.ingest_reviews(session, body)


@router.get("/reviews", response_model=Page[ReviewRead], summary="Review inbox")
def list_reviews(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    shop_id: int | None = None,
    stars: Annotated[int | None, Query(ge=1, le=5)] = None,
    triage: Triage | None = None,
    mismatch: bool | None = None,
    sku_id: int | None = None,
    replied: bool | None = None,
) -> Page[ReviewRead]:
    statement = repository.inbox(
        shop_id=shop_id, stars=stars, triage=triage, mismatch=mismatch, sku_id=sku_id, replied=replied
    )
    rows, total = paginate(session, statement, page)
    pros = service.professional_keys(session, rows)
    items = [
        ReviewRead.for_reader(r, reveal=user.may_see_pii, professional=(str(r.platform), r.buyer) in pros)
        for r in rows
    ]
    return Page(items=items, total=total, page=page.page, size=page.size)


@router.get(
    "/reviews/voc", response_model=list[VocRow], summary="VOC topics per SKU (counts, optionally per day)"
)
def voc(
    session: SessionDep,
    _: CurrentUser,
    shop_id: int | None = None,
    sku_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    by_day: bool = False,
) -> list[VocRow]:
    rows = service.voc(
        session, shop_id=shop_id, sku_id=sku_id, since=_utc(since), until=_utc(until), by_day=by_day
    )
    return [VocRow(**row) for row in rows]


@router.get(
    "/reviews/voc/board",
    response_model=list[VocBoardRow],
    summary="VOC board: review topics joined with the QC chat VOC per SKU (and day)",
)
def voc_board(
    session: SessionDep,
    _: CurrentUser,
    shop_id: int | None = None,
    sku_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    by_day: bool = False,
) -> list[VocBoardRow]:
    rows = voc_joined.board(
        session, shop_id=shop_id, sku_id=sku_id, since=_utc(since), until=_utc(until), by_day=by_day
    )
    return [VocBoardRow(**row) for row in rows]


@router.get("/reviews/{review_id}", response_model=ReviewRead)
def get_review(session: SessionDep, user: CurrentUser, review_id: int) -> ReviewRead:
    review = service.get_review(session, review_id)
    return ReviewRead.for_reader(
        review,
        reveal=user.may_see_pii,
        reply=service.get_reply(session, review_id),
        professional=service.is_professional(session, review),
    )


@router.put("/reviews/{review_id}/reply", response_model=ReplyRead, summary="Edit the reply draft")
def edit_reply(session: SessionDep, user: RequireAgent, review_id: int, body: ReplyEdit) -> ReplyRead:
    return ReplyRead.model_validate(
        service.edit_reply(session, review_id=review_id, text=body.text, actor=user)
    )


@router.post("/reviews/{review_id}/reply/redraft", response_model=ReplyRead)
def redraft(session: SessionDep, _: RequireAgent, review_id: int) -> ReplyRead:
    return ReplyRead.model_validate(service.redraft(session, review_id=review_id))


@router.post(
    "/reviews/{review_id}/reply/post",
    response_model=ReplyRead,
    summary="Post the reply via the outbox (negative, middling and five-star-negative: supervisors only)",
)
def post_reply(session: SessionDep, user: RequireAgent, review_id: int) -> ReplyRead:
    return ReplyRead.model_validate(service.post_reply(session, review_id=review_id, actor=user))


@router.post(
    "/reviewers/marks", response_model=ReviewerMarkRead, summary="Mark or clear a professional bad-reviewer"
)
def mark_reviewer(session: SessionDep, user: RequireSupervisor, body: ReviewerMarkIn) -> ReviewerMarkRead:
    return ReviewerMarkRead.model_validate(service.mark_reviewer(session, data=body, actor=user))


@router.post(
    "/ratings/invitations/chat", response_model=InvitationRead, summary="Invite a rating after a chat"
)
def invite_after_chat(session: SessionDep, _: RequireAgent, body: ChatInvitationIn) -> InvitationRead:
    invitation = ratings.invite_after_chat(session, **body.model_dump())
    return invitation_read(invitation)


@router.post("/ratings/invitations/{invitation_id}/rating", response_model=InvitationRead)
def record_rating(session: SessionDep, _: RequireAgent, invitation_id: int, body: RatingIn) -> InvitationRead:
    invitation = ratings.record_rating(
        session, invitation_id=invitation_id, stars=body.stars, comment=body.comment
    )
    return invitation_read(invitation)


@router.get(
    "/ratings/funnel", response_model=list[FunnelRow], summary="Invite/rating/satisfaction/negative rates"
)
def funnel(
    session: SessionDep,
    _: RequireSupervisor,
    by: Literal["shop", "group", "agent"] = "shop",
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[FunnelRow]:
    return ratings.funnel(session, by=by, since=_utc(since), until=_utc(until))


@router.get("/ratings/recoveries", response_model=list[RecoveryRead])
def recoveries(
    session: SessionDep, _: RequireAgent, status: RecoveryStatus | None = RecoveryStatus.OPEN
) -> list[RecoveryRead]:
    return [RecoveryRead.of(r) for r in ratings.open_recoveries(session, status=status)]


@router.post("/ratings/recoveries/{recovery_id}/close", response_model=RecoveryRead)
def close_recovery(
    session: SessionDep, user: RequireAgent, recovery_id: int, body: RecoveryResolve
) -> RecoveryRead:
    recovery = ratings.close_recovery(
        session, recovery_id=recovery_id, solution=body.solution, recovered=body.recovered, actor=user
    )
    return RecoveryRead.of(recovery)
