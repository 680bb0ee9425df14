from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request

from aftersales.audit.webhooks import SIGNATURE_HEADER, signed_body
from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.kit.pagination import Page, PageDep, paginate
from aftersales.orders import customers, repository, service
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import (
    IngestResult,
    OrderDetail,
    OrderIn,
    OrderPii,
    OrderRead,
    RevealRequest,
    ShipmentIn,
    TrackingEventIn,
    VipRuleIn,
)

router = APIRouter(prefix="/api", tags=["orders"])

BATCH_LIMIT = 5000
WEBHOOK_BATCH_LIMIT = 1000


@router.get("/orders", response_model=Page[OrderRead])
def search_orders(
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    q: Annotated[str | None, Query(description="order no., tracking no., phone or buyer account")] = None,
    shop_id: int | None = None,
    status: OrderStatus | None = None,
) -> Page[OrderRead]:
    rows, total = paginate(session, repository.order_search(query=q, shop_id=shop_id, status=status), page)
    items = [OrderRead.for_reader(order, reveal=user.may_see_pii) for order in rows]
    return Page(items=items, total=total, page=page.page, size=page.size)


@router.get("/orders/{order_id}", response_model=OrderDetail)
def get_order(session: SessionDep, user: CurrentUser, order_id: int) -> OrderDetail:
    order = service.get_order(session, order_id)
    shipments = repository.shipments_with_events(session, order_id)
    return OrderDetail.for_order(order, shipments, reveal=user.may_see_pii)


@router.post("/orders", response_model=IngestResult, summary="Ingest one order (idempotent by order number)")
def ingest_order(session: SessionDep, _: RequireAgent, body: OrderIn) -> IngestResult:
    return service.ingest_orders(session, [body])


@router.post("/orders/batch", response_model=IngestResult)
def ingest_orders(
    session: SessionDep, _: RequireAgent, body: Annotated[list[OrderIn], Body(max_length=BATCH_LIMIT)]
) -> IngestResult:
    return service.ingest_orders(session, body)


@router.post("/shipments", response_model=IngestResult)
def ingest_shipment(session: SessionDep, _: RequireAgent, body: ShipmentIn) -> IngestResult:
    return service.ingest_shipments(session, [body])


@router.post("/shipments/batch", response_model=IngestResult)
def ingest_shipments(
    session: SessionDep, _: RequireAgent, body: Annotated[list[ShipmentIn], Body(max_length=BATCH_LIMIT)]
) -> IngestResult:
    return service.ingest_shipments(session, body)


@router.post("/tracking-events", response_model=IngestResult)
def ingest_tracking_event(session: SessionDep, _: RequireAgent, body: TrackingEventIn) -> IngestResult:
    return service.ingest_tracking_events(session, [body])


@router.post("/tracking-events/batch", response_model=IngestResult)
def ingest_tracking_events(
    session: SessionDep, _: RequireAgent, body: Annotated[list[TrackingEventIn], Body(max_length=BATCH_LIMIT)]
) -> IngestResult:
    return service.ingest_tracking_events(session, body)


@router.post("/orders/{order_id}/reveal", response_model=OrderPii, tags=["orders"])
def reveal_order(
    request: Request, session: SessionDep, user: RequireSupervisor, order_id: int, body: RevealRequest
) -> OrderPii:
    """完整手机号与地址(主管及以上),每次查看都写入审计日志。"""
    client_ip = request.client.host if request.client else None
    return service.reveal_pii(session, actor=user, order_id=order_id, reason=body.reason, client_ip=client_ip)


@router.post(
    "/webhooks/{source}/tracking-events",
    response_model=IngestResult,
    tags=["webhooks"],
    summary="Courier/ERP push of tracking events, authenticated by HMAC signature",
    description=f"Header `{SIGNATURE_HEADER}: t=<unix>,v1=<hex hmac-sha256 of 't.body'>` with the source's "
    "secret (`aftersales webhooks secret SOURCE`); requests older than 5 minutes and replays are refused.",
)
def tracking_events_webhook(
    session: SessionDep,
    source: str,
    _: Annotated[bytes, Depends(signed_body("source"))],
    body: Annotated[list[TrackingEventIn], Body(max_length=WEBHOOK_BATCH_LIMIT)],
) -> IngestResult:
    return service.ingest_tracking_events(session, body)


@router.put("/shops/{shop_code}/vip-rule", response_model=VipRuleIn)
def put_vip_rule(session: SessionDep, _: RequireSupervisor, shop_code: str, body: VipRuleIn) -> VipRuleIn:
    """Who is VIP in this shop: paid amount or orders in the window, or platform membership."""
    customers.save_rule(session, shop_code=shop_code, rule=customers.ValueRule(**body.model_dump()))
    return body
