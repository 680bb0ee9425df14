"""Order search and order detail pages: what an agent opens first when a customer writes."""

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from aftersales.auth.deps import CurrentUser, RequireSupervisor, SessionDep
from aftersales.auth.models import Role, User
from aftersales.catalog import repository as catalog_repository
from aftersales.catalog.models import Shop
from aftersales.kit.pagination import PageDep, paginate
from aftersales.orders import repository, service
from aftersales.orders.console_import import router as import_router
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderDetail, OrderPii, OrderRead
from aftersales.web.export import export_objects, money, xlsx_response
from aftersales.web.render import NavItem, render
from aftersales.web.sorting import sorted_by

router = APIRouter(prefix="/console/orders", include_in_schema=False)
router.include_router(import_router)  # before "/{order_id}", which would shadow "/import"

NAV = [
    NavItem("订单查询", "/console/orders", group="工单"),
    NavItem("导入订单", "/console/orders/import", min_role=Role.SUPERVISOR, group="设置"),
]

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
    sort: Annotated[str | None, Query(max_length=32)] = None,
    export: Literal["xlsx"] | None = None,
) -> Response:
    statement = sorted_by(
        repository.order_search(query=q, shop_id=shop_id, status=status), repository.SORTS, sort
    )
    shops = catalog_repository.shops_by_id(session)
    if export:
        found = (OrderRead.for_reader(o, reveal=user.may_see_pii) for o in export_objects(session, statement))
        return xlsx_response(
            "订单",
            ["订单号", "店铺", "状态", "收货人", "手机", "省份", "城市", "实付(元)", "下单时间"],
            (
                [
                    o.order_no,
                    shops[o.shop_id].name,
                    STATUS_LABELS[o.status],
                    o.receiver_name,
                    o.receiver_phone,
                    o.province,
                    o.city,
                    money(o.paid_fen),
                    o.ordered_at,
                ]
                for o in found
            ),
        )
    rows, total = paginate(session, statement, page)
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
        sorts=repository.SORTS,
        sort=sort,
    )


@router.get("/{order_id}", response_class=HTMLResponse)
def detail(request: Request, session: SessionDep, user: CurrentUser, order_id: int) -> Response:
    return _detail_page(request, session, user, order_id)


@router.post("/{order_id}/reveal", response_class=HTMLResponse)
def reveal(
    request: Request,
    session: SessionDep,
    user: RequireSupervisor,
    order_id: int,
    reason: Annotated[str, Form(min_length=2, max_length=500)],
) -> Response:
    """查看完整信息: the whole contact data of one order, shown once on the page and audited."""
    client_ip = request.client.host if request.client else None
    revealed = service.reveal_pii(session, actor=user, order_id=order_id, reason=reason, client_ip=client_ip)
    return _detail_page(request, session, user, order_id, revealed=revealed)


def _detail_page(
    request: Request, session: SessionDep, user: User, order_id: int, *, revealed: OrderPii | None = None
) -> Response:
    order = service.get_order(session, order_id)
    shipments = repository.shipments_with_events(session, order_id)
    return render(
        request,
        "orders/detail.html",
        order=OrderDetail.for_order(order, shipments, reveal=user.may_see_pii),
        shop=session.get(Shop, order.shop_id),
        statuses=STATUS_LABELS,
        may_reveal=user.role.at_least(Role.SUPERVISOR) and not user.may_see_pii,
        revealed=revealed,
    )
