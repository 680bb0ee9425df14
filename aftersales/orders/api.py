from typing import Annotated

from fastapi import APIRouter, Body, Query

from aftersales.auth.deps import CurrentUser, RequireAgent, SessionDep
from aftersales.kit.pagination import Page, PageDep, paginate
from aftersales.orders import repository, service
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import (
    IngestResult,
    OrderDetail,
    OrderIn,
    OrderRead,
    ShipmentIn,
    TrackingEventIn,
)

router = APIRouter(prefix="/api", tags=["orders"])

BATCH_LIMIT = 5000


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
