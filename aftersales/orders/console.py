"""Order search and order detail pages: what an agent opens first when a customer writes."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from aftersales.auth.deps import CurrentUser, SessionDep
from aftersales.catalog.models import Shop
from aftersales.kit.pagination import PageDep, paginate
from aftersales.messaging.service import STATUS_LABELS as OUTBOX_LABELS
from aftersales.messaging.service import explain, messages_about
from aftersales.orders import repository, service
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderDetail, OrderRead
from aftersales.web.render import NavItem, render

router = APIRouter(prefix="/console/orders", include_in_schema=False)

NAV = [NavItem("订单查询", "/console/orders")]

STATUS_LABELS = {
    OrderStatus.PENDING_PAYMENT: "待付款",
    OrderStatus.PAID: "待发货",
    OrderStatus.SHIPPED: "已发货",
    OrderStatus.COMPLETED: "交易成功",
    OrderStatus.CLOSED: "交易关闭",
}


@router.get("", response_class=HTMLResponse)
def search(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    q: str | None = None,
    shop_id: int | None = None,
    status: OrderStatus | None = None,
) -> Response:
    rows, total = paginate(session, repository.order_search(query=q, shop_id=shop_id, status=status), page)
    shops = {s.id: s for s in session.scalars(select(Shop).order_by(Shop.id))}
    template = "orders/_rows.html" if request.headers.get("HX-Request") else "orders/search.html"
    return render(
        request,
        template,
        orders=[OrderRead.for_reader(o, reveal=user.may_see_pii) for o in rows],
        total=total,
        page=page,
        q=q or "",
        shop_id=shop_id,
        status=status,
        shops=shops,
        statuses=STATUS_LABELS,
    )


@router.get("/{order_id}", response_class=HTMLResponse)
def detail(request: Request, session: SessionDep, user: CurrentUser, order_id: int) -> Response:
    order = service.get_order(session, order_id)
    shipments = repository.shipments_with_events(session, order_id)
    return render(
        request,
        "orders/detail.html",
        order=OrderDetail.for_order(order, shipments, reveal=user.may_see_pii),
        shop=session.get(Shop, order.shop_id),
        statuses=STATUS_LABELS,
        messages=[
            (m, m.payload.get("text", ""), explain(m.reason), OUTBOX_LABELS.get(m.status, m.status))
            for m in messages_about(session, subject=("order", order_id))
        ],
    )
