"""API of price protection (保价/退差价) and appeals (申诉); routers stay thin, rules live in
``price_protection.py`` and ``appeals.py``. Included by ``returns/api.py`` under ``/api/returns``."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from aftersales.auth.deps import CurrentUser, RequireAdmin, RequireAgent, SessionDep
from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError, NotFoundError
from aftersales.kit.idempotency import IdempotencyKey
from aftersales.kit.pagination import Page, PageDep, paginate
from aftersales.orders.models import Order
from aftersales.returns import appeals, price_protection
from aftersales.returns.aftercare_models import AppealStatus
from aftersales.returns.aftercare_schemas import (
    AppealEvidenceIn,
    AppealIn,
    AppealOutcomeIn,
    AppealRead,
    PriceProtectionIn,
    PriceProtectionRead,
    PriceProtectionRuleIn,
    PriceProtectionRuleRead,
    QuoteRead,
)
from aftersales.returns.errors import BeyondAuthorityError

router = APIRouter()


@router.put("/price-protection-rules/{shop_id}", response_model=PriceProtectionRuleRead)
def put_rule(
    session: SessionDep, _: RequireAdmin, shop_id: int, body: PriceProtectionRuleIn
) -> PriceProtectionRuleRead:
    if session.get(Shop, shop_id) is None:
        raise NotFoundError(f"店铺不存在: {shop_id}")
    rule = price_protection.save_rule(session, shop_id=shop_id, values=body.model_dump())
    return PriceProtectionRuleRead.model_validate(rule)


@router.get("/price-protection/quote", response_model=QuoteRead)
def get_quote(
    session: SessionDep, _: RequireAgent, order_id: int, sku_code: str, new_unit_fen: int
) -> QuoteRead:
    """What the drop is worth now and whether it is refundable (nothing is paid)."""
    order = session.get(Order, order_id)
    if order is None:
        raise InvalidInputError("order_id", f"订单不存在: {order_id}")
    found = price_protection.quote(session, order=order, sku_code=sku_code, new_unit_fen=new_unit_fen)
    return QuoteRead.model_validate(found)


@router.post("/price-protection", response_model=PriceProtectionRead, status_code=201)
def protect(
    session: SessionDep, user: RequireAgent, body: PriceProtectionIn, key: IdempotencyKey = None
) -> Any:
    """Refund the difference once (422 naming the field when not eligible, 403 beyond authority)."""
    try:
        row = price_protection.protect(
            session,
            order_id=body.order_id,
            sku_code=body.sku_code,
            new_unit_fen=body.new_unit_fen,
            actor=user,
            ticket_id=body.ticket_id,
            idempotency_key=key,
        )
    except BeyondAuthorityError as exc:
        return JSONResponse(
            {"error": type(exc).__name__, "detail": exc.message, "approval_available": False},
            status_code=exc.status_code,
        )
    return PriceProtectionRead.model_validate(row)


@router.get("/appeals", response_model=Page[AppealRead])
def list_appeals(
    session: SessionDep, _: CurrentUser, page: PageDep, status: AppealStatus | None = None
) -> Page[AppealRead]:
    rows, total = paginate(session, appeals.listing(status=status), page)
    return Page(
        items=[AppealRead.model_validate(r) for r in rows], total=total, page=page.page, size=page.size
    )


@router.post("/appeals", response_model=AppealRead, status_code=201)
def create_appeal(session: SessionDep, user: RequireAgent, body: AppealIn) -> AppealRead:
    return AppealRead.model_validate(appeals.create(session, data=body, actor=user))


@router.get("/appeals/{appeal_id}", response_model=AppealRead)
def get_appeal(session: SessionDep, _: CurrentUser, appeal_id: int) -> AppealRead:
    return AppealRead.model_validate(appeals.get_appeal(session, appeal_id))


@router.get("/appeals/{appeal_id}/evidence-candidates")
def evidence_candidates(session: SessionDep, _: RequireAgent, appeal_id: int) -> list[dict[str, Any]]:
    appeal = appeals.get_appeal(session, appeal_id)
    return appeals.candidates(session, order_id=appeal.order_id, ticket_id=appeal.ticket_id)


@router.put("/appeals/{appeal_id}/evidence", response_model=AppealRead)
def put_evidence(session: SessionDep, _: RequireAgent, appeal_id: int, body: AppealEvidenceIn) -> AppealRead:
    """Only while a draft: the evidence chosen (copied from the ticket) and the statement."""
    appeal = appeals.revise(session, appeal_id=appeal_id, evidence=body.evidence, statement=body.statement)
    return AppealRead.model_validate(appeal)


@router.post("/appeals/{appeal_id}/submit", response_model=AppealRead)
def submit_appeal(session: SessionDep, user: RequireAgent, appeal_id: int) -> AppealRead:
    return AppealRead.model_validate(appeals.submit(session, appeal_id=appeal_id, actor=user))


@router.post("/appeals/{appeal_id}/outcome", response_model=AppealRead)
def appeal_outcome(
    session: SessionDep, user: RequireAgent, appeal_id: int, body: AppealOutcomeIn
) -> AppealRead:
    return AppealRead.model_validate(
        appeals.record_outcome(session, appeal_id=appeal_id, data=body, actor=user)
    )
