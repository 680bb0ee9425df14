"""Returns API: requests, retention, payouts within authority, approvals, reshipments, reports.

Authority is decided by the services on the server; a payout beyond it answers 403 with
``approval_available`` so a client can offer the supervisor approval instead.
"""

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from aftersales.audit.webhooks import signed_body
from aftersales.auth.deps import CurrentUser, RequireAdmin, RequireAgent, RequireSupervisor, SessionDep
from aftersales.catalog.models import Shop, Sku
from aftersales.kit.errors import InvalidInputError, NotFoundError
from aftersales.kit.idempotency import IdempotencyKey
from aftersales.kit.pagination import Page, PageDep, paginate
from aftersales.kit.time import as_utc
from aftersales.returns import payouts, photo_refunds, refunds, repository, reshipments, service
from aftersales.returns.aftercare_api import router as aftercare_router
from aftersales.returns.errors import BeyondAuthorityError, CustomerCapError
from aftersales.returns.models import ApprovalStatus, RequestKind, RequestStatus
from aftersales.returns.schemas import (
    ApprovalIn,
    ApprovalRead,
    ChoiceIn,
    CompensationIn,
    CompensationRead,
    DecisionIn,
    ErpCallbackIn,
    ExtensionIn,
    OfferRead,
    OffersIn,
    PhotoRefundRuleIn,
    PolicyIn,
    ReshipmentIn,
    ReshipmentRead,
    RetentionOfferRead,
    ReturnParcelIn,
    ReturnRequestIn,
    ReturnRequestRead,
    WarehouseCheckIn,
)

router = APIRouter(prefix="/api/returns", tags=["returns"])
router.include_router(aftercare_router)  # 保价 and 申诉
Model = TypeVar("Model", bound=BaseModel)

BATCH_LIMIT = 1000


def _beyond(exc: BeyondAuthorityError | CustomerCapError) -> JSONResponse:
    return JSONResponse(
        {
            "error": type(exc).__name__,
            "detail": exc.message,
            "approval_available": exc.approval_available,
            "approval_endpoint": "/api/returns/approvals" if exc.approval_available else None,
        },
        status_code=exc.status_code,
    )


@router.post("/requests", response_model=ReturnRequestRead, status_code=201)
def create_request(session: SessionDep, user: RequireAgent, body: ReturnRequestIn) -> ReturnRequestRead:
    """A return/exchange/refund-only request (idempotent by ``request_no``); opens its ticket."""
    request = service.create_request(
        session, data=body, actor_id=None if body.channel != "console" else user.id
    )
    return ReturnRequestRead.model_validate(request)


@router.post("/requests/batch", response_model=list[ReturnRequestRead])
def create_requests(
    session: SessionDep,
    _: RequireAgent,
    body: Annotated[list[ReturnRequestIn], Body(max_length=BATCH_LIMIT)],
) -> list[ReturnRequestRead]:
    return [ReturnRequestRead.model_validate(service.create_request(session, data=item)) for item in body]


@router.post("/webhooks/{source}", response_model=ReturnRequestRead, status_code=201)
def platform_webhook(
    session: SessionDep, source: str, body: Annotated[bytes, Depends(signed_body("source"))]
) -> ReturnRequestRead:
    """A platform (or its middleware) pushes a refund/return request, signed for ``source``."""
    data = _parse(ReturnRequestIn, body).model_copy(update={"channel": "webhook"})
    return ReturnRequestRead.model_validate(service.create_request(session, data=data))


@router.get("/requests", response_model=Page[ReturnRequestRead])
def list_requests(
    session: SessionDep,
    _: CurrentUser,
    page: PageDep,
    status: RequestStatus | None = None,
    shop_id: int | None = None,
    kind: RequestKind | None = None,
) -> Page[ReturnRequestRead]:
    rows, total = paginate(session, repository.queue(status=status, shop_id=shop_id, kind=kind), page)
    items = [ReturnRequestRead.model_validate(r) for r in rows]
    return Page(items=items, total=total, page=page.page, size=page.size)


@router.get("/requests/{request_id}", response_model=ReturnRequestRead)
def get_request(session: SessionDep, _: CurrentUser, request_id: int) -> ReturnRequestRead:
    return ReturnRequestRead.model_validate(service.get_request(session, request_id))


@router.get("/requests/{request_id}/retention", response_model=list[OfferRead])
def proposals(session: SessionDep, _: CurrentUser, request_id: int) -> list[OfferRead]:
    """What to offer instead of the return, in the shop's order (empty for quality problems)."""
    return [OfferRead(**vars(o)) for o in service.retention_offers(session, request_id=request_id)]


@router.post("/requests/{request_id}/retention/offers", response_model=list[RetentionOfferRead])
def offer(
    session: SessionDep, user: RequireAgent, request_id: int, body: OffersIn
) -> list[RetentionOfferRead]:
    rows = service.record_offers(session, request_id=request_id, kinds=body.kinds, actor=user)
    return [RetentionOfferRead.model_validate(r) for r in rows]


@router.post("/requests/{request_id}/retention/choice", response_model=ReturnRequestRead)
def choose(session: SessionDep, user: RequireAgent, request_id: int, body: ChoiceIn) -> Any:
    try:
        request = service.record_choice(session, request_id=request_id, accepted=body.accepted, actor=user)
    except (BeyondAuthorityError, CustomerCapError) as exc:
        return _beyond(exc)
    return ReturnRequestRead.model_validate(request)


@router.post("/requests/{request_id}/return-parcel", response_model=ReturnRequestRead)
def return_parcel(
    session: SessionDep, _: RequireAgent, request_id: int, body: ReturnParcelIn
) -> ReturnRequestRead:
    request = refunds.attach_return_parcel(
        session,
        request_id=request_id,
        courier=body.courier,
        tracking_no=body.tracking_no,
        shipped_at=body.shipped_at,
    )
    return ReturnRequestRead.model_validate(request)


@router.post("/requests/{request_id}/early-refund", response_model=CompensationRead)
def early_refund(
    session: SessionDep, user: RequireAgent, request_id: int, key: IdempotencyKey = None
) -> CompensationRead:
    payout = payouts.early_refund(session, request_id=request_id, actor=user, idempotency_key=key)
    return CompensationRead.model_validate(payout)


@router.post("/requests/{request_id}/refund", response_model=CompensationRead)
def refund(
    session: SessionDep, user: RequireAgent, request_id: int, key: IdempotencyKey = None
) -> CompensationRead:
    """Refund-only once nothing travels; a return once the goods are back (supervisors may release
    a refund held for an interception). A request is refunded once: a repeat is 409, or with the
    same ``Idempotency-Key`` the first refund."""
    payout = payouts.refund(session, request_id=request_id, actor=user, idempotency_key=key)
    return CompensationRead.model_validate(payout)


@router.post("/requests/{request_id}/warehouse-check", response_model=ReturnRequestRead)
def warehouse_check(
    session: SessionDep, user: RequireAgent, request_id: int, body: WarehouseCheckIn
) -> ReturnRequestRead:
    request = service.record_warehouse_check(
        session, request_id=request_id, passed=body.passed, note=body.note, actor=user
    )
    return ReturnRequestRead.model_validate(request)


@router.post("/requests/{request_id}/exchange", response_model=ReshipmentRead, status_code=201)
def exchange(session: SessionDep, user: RequireAgent, request_id: int) -> ReshipmentRead:
    """Send the exchange, or an equal-or-better model when the original is discontinued."""
    return ReshipmentRead.model_validate(
        reshipments.exchange_after_check(session, request_id=request_id, actor=user)
    )


@router.post("/compensations", response_model=CompensationRead, status_code=201)
def compensate(
    session: SessionDep, user: RequireAgent, body: CompensationIn, key: IdempotencyKey = None
) -> Any:
    """Pay within the caller's authority; the order's payouts add up under its lock, so parallel
    requests never pay past the limit (the rest answer 403 with ``approval_available``)."""
    try:
        payout = payouts.pay_compensation(
            session,
            order_id=body.order_id,
            amount_fen=body.amount_fen,
            reason_code=body.reason_code,
            actor=user,
            request_id=body.request_id,
            ticket_id=body.ticket_id,
            note=body.note,
            idempotency_key=key,
            score_risk=body.score_risk,
        )
    except (BeyondAuthorityError, CustomerCapError) as exc:
        return _beyond(exc)
    return CompensationRead.model_validate(payout)


@router.get("/compensations", response_model=Page[CompensationRead])
def ledger(
    session: SessionDep,
    _: CurrentUser,
    page: PageDep,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[CompensationRead]:
    statement = repository.ledger(since=_utc(since), until=_utc(until))
    rows, total = paginate(session, statement, page)
    return Page(
        items=[CompensationRead.model_validate(r) for r in rows], total=total, page=page.page, size=page.size
    )


def _utc(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


@router.get("/reports/ledger")
def ledger_report(
    session: SessionDep, _: CurrentUser, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """Totals per agent, reason and payout kind, plus the grand total."""
    rows = repository.ledger_totals(session, since=_utc(since), until=_utc(until))
    return {"rows": rows, "total_fen": sum(int(r["amount_fen"]) for r in rows)}


@router.get("/reports/retention")
def retention_report(
    session: SessionDep,
    _: CurrentUser,
    by: Annotated[Literal["agent", "sku", "reason"], Query()] = "agent",
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Conversion return → exchange and exchange → compensation per agent, SKU or reason."""
    return {
        "by": by,
        "rows": repository.conversion_report(session, by=by, since=_utc(since), until=_utc(until)),
    }


@router.post("/approvals", response_model=ApprovalRead, status_code=201)
def request_approval(
    session: SessionDep, user: RequireAgent, body: ApprovalIn, key: IdempotencyKey = None
) -> Any:
    try:
        approval = payouts.request_approval(
            session,
            order_id=body.order_id,
            amount_fen=body.amount_fen,
            reason_code=body.reason_code,
            note=body.note,
            actor=user,
            request_id=body.request_id,
            ticket_id=body.ticket_id,
            idempotency_key=key,
            score_risk=body.score_risk,
        )
    except (BeyondAuthorityError, CustomerCapError) as exc:
        return _beyond(exc)
    return ApprovalRead.model_validate(approval)


@router.post("/gifts/{upgrade_id}/decision")
def decide_gift(
    session: SessionDep, user: RequireSupervisor, upgrade_id: int, body: DecisionIn
) -> dict[str, Any]:
    """A gift held by the customer's caps: approved, it is pushed to the ERP at once."""
    upgrade = reshipments.decide_gift(
        session, upgrade_id=upgrade_id, approve=body.approve, actor=user, note=body.note
    )
    return {"id": upgrade.id, "status": str(upgrade.status), "reshipment_id": upgrade.reshipment_id}


@router.get("/approvals", response_model=Page[ApprovalRead])
def list_approvals(
    session: SessionDep, _: CurrentUser, page: PageDep, status: ApprovalStatus | None = ApprovalStatus.PENDING
) -> Page[ApprovalRead]:
    rows, total = paginate(session, repository.approvals(status=status), page)
    return Page(
        items=[ApprovalRead.model_validate(r) for r in rows], total=total, page=page.page, size=page.size
    )


@router.post("/approvals/{approval_id}/decision", response_model=ApprovalRead)
def decide(session: SessionDep, user: RequireSupervisor, approval_id: int, body: DecisionIn) -> ApprovalRead:
    approval = payouts.decide_approval(
        session, approval_id=approval_id, approve=body.approve, actor=user, note=body.note
    )
    return ApprovalRead.model_validate(approval)


@router.post("/window-extensions", status_code=201)
def extend(session: SessionDep, user: RequireAgent, body: ExtensionIn) -> dict[str, Any]:
    extension = payouts.extend_window(
        session,
        order_id=body.order_id,
        days=body.days,
        reason=body.reason,
        actor=user,
        request_id=body.request_id,
    )
    return {
        "id": extension.id,
        "order_id": extension.order_id,
        "days": extension.days,
        "reason": extension.reason,
    }


@router.post("/reshipments", response_model=ReshipmentRead, status_code=201)
def create_reshipment(session: SessionDep, user: RequireAgent, body: ReshipmentIn) -> ReshipmentRead:
    return ReshipmentRead.model_validate(reshipments.create_reshipment(session, data=body, actor_id=user.id))


@router.get("/reshipments", response_model=list[ReshipmentRead])
def list_reshipments(session: SessionDep, _: CurrentUser) -> list[ReshipmentRead]:
    rows = reshipments.list_with_sync(session)
    return [
        ReshipmentRead.model_validate(r["reshipment"]).model_copy(update={"erp_sync": r["sync"]})
        for r in rows
    ]


@router.post("/erp/callback", response_model=ReshipmentRead)
def erp_callback(session: SessionDep, body: Annotated[bytes, Depends(signed_body("erp"))]) -> ReshipmentRead:
    """The ERP reports the tracking number; authenticated by ``X-Aftersales-Signature`` (source ``erp``)."""
    data = _parse(ErpCallbackIn, body)
    return ReshipmentRead.model_validate(reshipments.erp_callback(session, data=data))


def _parse(model: type[Model], body: bytes) -> Model:
    """Signed routes read the raw body (the signature covers its bytes), then validate it here."""
    try:
        return model.model_validate_json(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InvalidInputError(".".join(str(p) for p in first["loc"]) or "body", first["msg"]) from None


@router.get("/policies/{shop_id}", response_model=PolicyIn)
def get_policy(session: SessionDep, _: CurrentUser, shop_id: int) -> PolicyIn:
    if session.get(Shop, shop_id) is None:
        raise NotFoundError(f"店铺不存在: {shop_id}")
    return PolicyIn.model_validate(service.get_policy(session, shop_id).as_columns())


@router.put("/policies/{shop_id}", response_model=PolicyIn)
def put_policy(session: SessionDep, _: RequireAdmin, shop_id: int, body: PolicyIn) -> PolicyIn:
    if session.get(Shop, shop_id) is None:
        raise NotFoundError(f"店铺不存在: {shop_id}")
    values = body.model_dump()
    values["retention_order"] = [str(k) for k in body.retention_order]
    service.save_policy(session, shop_id=shop_id, values=values)
    return PolicyIn.model_validate(service.get_policy(session, shop_id).as_columns())


@router.get("/skus/{sku_id}/replacement")
def replacement(session: SessionDep, _: CurrentUser, sku_id: int) -> dict[str, Any]:
    """The SKU to send for a discontinued or out-of-stock model (equal-or-better specs)."""
    sku = session.get(Sku, sku_id)
    if sku is None:
        raise NotFoundError(f"商品不存在: {sku_id}")
    target = reshipments.replacement_for(session, sku)
    if target is None:
        return {"sku_id": sku.id, "replacement": None}
    return {
        "sku_id": sku.id,
        "replacement": {"id": target.id, "code": target.code, "name": target.name, "specs": target.specs},
        "same_model": target.id == sku.id,
    }


@router.put("/photo-refund-rules/{shop_id}", response_model=PhotoRefundRuleIn)
def put_photo_refund_rule(
    session: SessionDep, _: RequireAdmin, shop_id: int, body: PhotoRefundRuleIn
) -> PhotoRefundRuleIn:
    """Seed 004: the shop's rule for refunding photographed quality damage without a return."""
    if session.get(Shop, shop_id) is None:
        raise NotFoundError(f"店铺不存在: {shop_id}")
    rule = photo_refunds.save_rule(session, shop_id=shop_id, values=body.model_dump())
    return PhotoRefundRuleIn.model_validate(rule, from_attributes=True)
