"""Console pages: the queue (with "handed to me" first), ticket detail beside the order and its
parcels, create-from-order in two clicks, the handoff board and the department feedback board.

Pages are thin: every rule lives in the services; forms post and redirect back (303).
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from aftersales.auth import repository as auth_repository
from aftersales.auth.deps import CurrentUser, RequireSupervisor, SessionDep
from aftersales.auth.models import Role, User
from aftersales.catalog import repository as catalog_repository
from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.pagination import PageDep, count_rows, paginate_rows
from aftersales.kit.pii import mask_address, mask_name, mask_phone
from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.orders import repository as order_repository
from aftersales.orders import service as order_service
from aftersales.orders.models import Order
from aftersales.orders.schemas import OrderDetail
from aftersales.tickets import feedback, repository, service
from aftersales.tickets.config import repository as config_repository
from aftersales.tickets.config import service as config
from aftersales.tickets.config.defaults import DEPARTMENTS
from aftersales.tickets.history import customer_history
from aftersales.tickets.models import (
    FEEDBACK_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    TYPE_LABELS,
    Ticket,
    TicketGroup,
    TicketStatus,
    TicketType,
)
from aftersales.tickets.repository import SLA_LABELS, QueueFilter, QueueSort, SlaState
from aftersales.tickets.shifts import handoff as handoffs
from aftersales.tickets.shifts import repository as shift_repository
from aftersales.tickets.shifts import service as shifts
from aftersales.web.export import export_rows, xlsx_response
from aftersales.web.home import AGENT_HOME, EVERYONE, LEAD_HOME, Tile, register_tile
from aftersales.web.render import NavItem, render

router = APIRouter(prefix="/console/tickets", include_in_schema=False)

NAV = [
    NavItem("工单", "/console/tickets", group="工单"),
    NavItem("交接班", "/console/tickets/handoffs", group="工单"),
    NavItem("部门反馈", "/console/tickets/feedback", group="工单"),
]

# One click from an order: the type and the most common category for it.
QUICK_TYPES: list[tuple[str, str, str | None, str]] = [
    ("consultation", "其他", "其他", "咨询"),
    ("return", "商品问题", "质量问题", "退货·质量问题"),
    ("exchange", "商品问题", "描述不符", "换货·描述不符"),
    ("reshipment", "商品问题", "错发漏发", "补发·错发漏发"),
    ("reshipment", "商品问题", "赠品漏发", "补发·赠品漏发"),
    ("refund", "商品问题", "主观不满意", "退款·不满意"),
    ("complaint", "服务问题", "服务态度", "投诉"),
    ("consultation", "物流问题", "物流延迟", "物流咨询"),
]
SORT_LABELS = {
    QueueSort.SLA: "SLA 截止",
    QueueSort.PRIORITY: "优先级",
    QueueSort.CREATED: "创建时间",
    QueueSort.UPDATED: "最近更新",
}
SOURCE_LABELS = {
    "manual": "客服手工创建",
    "api": "接口",
    "returns": "售后申请",
    "logistics": "物流跟单",
    "selfservice": "买家自助",
    "reviews": "评价",
    "demo": "演示数据",
}
DEPARTMENT_LABELS = {
    "product": "产品",
    "operations": "运营",
    "warehouse": "仓库",
    "logistics": "物流",
    "design": "设计",
}


def _labels() -> dict[str, Any]:
    return {
        "statuses": STATUS_LABELS,
        "types": TYPE_LABELS,
        "severities": SEVERITY_LABELS,
        "sla_labels": SLA_LABELS,
        "feedback_labels": FEEDBACK_LABELS,
        "departments": DEPARTMENT_LABELS,
        "sources": SOURCE_LABELS,
    }


def countdown(due: datetime | None, now: datetime) -> str:
    """``剩 1:05`` / ``超 0:12`` (hours:minutes) for the SLA column."""
    if due is None:
        return ""
    seconds = int((due - now).total_seconds())
    sign, seconds = ("剩", seconds) if seconds >= 0 else ("超", -seconds)
    return f"{sign} {seconds // 3600}:{seconds % 3600 // 60:02d}"


# ---- home -----------------------------------------------------------------------------------


def _queue_count(**filters: Any) -> Callable[[Session, User], int]:
    def count(session: Session, user: User) -> int:
        mine = {key: user.id for key, value in filters.items() if value == ME}
        statement = repository.queue(QueueFilter(**{**filters, **mine}), now=utcnow()).order_by(None)
        return count_rows(session, statement)

    return count


ME = object()  # stands for the signed-in user in a tile's filters
for _tile in (
    Tile("我的工单", "/console/tickets?mine=true", _queue_count(mine=ME), AGENT_HOME, position=10),
    Tile(
        "我的即将超时",
        "/console/tickets?mine=true&sla=at_risk",
        _queue_count(mine=ME, sla=SlaState.AT_RISK),
        AGENT_HOME,
        "warn",
        20,
    ),
    Tile("交给我的", "/console/tickets?handed_to_me=true", _queue_count(handed_to=ME), EVERYONE, "warn", 30),
    Tile(
        "今天待跟进",
        "/console/tickets?mine=true&follow_up_due=true",
        _queue_count(mine=ME, follow_up_due=True),
        AGENT_HOME,
        position=40,
    ),
    Tile(
        "已超时工单",
        "/console/tickets?sla=breached",
        _queue_count(sla=SlaState.BREACHED),
        LEAD_HOME,
        "bad",
        10,
    ),
    Tile(
        "即将超时工单",
        "/console/tickets?sla=at_risk",
        _queue_count(sla=SlaState.AT_RISK),
        LEAD_HOME,
        "warn",
        20,
    ),
):
    register_tile(_tile)


# ---- queue ----------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
def queue(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    status: TicketStatus | None = None,
    sla: SlaState | None = None,
    shift_id: int | None = None,
    group_id: int | None = None,
    mine: bool = False,
    handed_to_me: bool = False,
    follow_up_due: bool = False,
    q: str | None = None,
    sort: QueueSort = QueueSort.SLA,
    export: Literal["xlsx"] | None = None,
) -> Response:
    now = utcnow()
    filters = QueueFilter(
        statuses=[status] if status else None,
        sla=sla,
        shift_id=shift_id,
        group_id=group_id,
        mine=user.id if mine else None,
        handed_to=user.id if handed_to_me else None,
        follow_up_due=follow_up_due,
        q=q,
        sort=sort,
    )
    statement = repository.queue(filters, now=now)
    if export:
        return _export_queue(session, statement)
    rows, total = paginate_rows(session, statement, page)
    handed = _handed_to_me(session, user.id)
    tickets = [t for t, _ in rows] + [t for _, t in handed]
    return render(
        request,
        "tickets/_rows.html" if request.headers.get("HX-Request") else "tickets/queue.html",
        rows=rows,
        handed=handed,
        total=total,
        page=page,
        now=now,
        countdown=countdown,
        counts=repository.sla_counts(session, now=now),
        users=auth_repository.display_names(session, {t.assignee_id for t in tickets}),
        groups={g.id: g for g in config_repository.groups(session)},
        shifts={s.id: s for s in shift_repository.all_shifts(session)},
        filters=filters,
        sorts=SORT_LABELS,
        **_labels(),
    )


def _export_queue(session: Session, statement: Any) -> Response:
    rows = export_rows(session, statement)
    tickets = [t for t, _ in rows]
    users = auth_repository.display_names(session, {t.assignee_id for t in tickets})
    groups = {g.id: g.name for g in config_repository.groups(session)}
    return xlsx_response(
        "工单",
        ["工单号", "标题", "类型", "分类", "状态", "SLA", "优先级", "处理组", "处理人", "创建时间"],
        (
            [
                t.id,
                t.title,
                TYPE_LABELS[t.type],
                "/".join(filter(None, (t.category, t.subcategory))),
                STATUS_LABELS[t.status],
                SLA_LABELS[SlaState(state)],
                t.priority,
                groups.get(t.group_id or 0, ""),
                users.get(t.assignee_id or 0, "未分派"),
                t.created_at,
            ]
            for t, state in rows
        ),
    )


def _handed_to_me(session: Session, user_id: int) -> list[tuple[Any, Ticket]]:
    pending = repository.pending_handoffs(session, user_id=user_id)
    tickets = repository.tickets_by_id(session, [h.ticket_id for h in pending])
    return [(h, tickets[h.ticket_id]) for h in pending if h.ticket_id in tickets]


# ---- create from an order -------------------------------------------------------------------


@router.get("/new", response_class=HTMLResponse)
def new_ticket(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    order_no: str | None = None,
    order_id: int | None = None,
) -> Response:
    """Paste the order number, or come from the order page's 「新建工单」 (``order_id``, exact),
    then one click on the problem type."""
    orders: list[Order] = []
    if order_id is not None:
        orders = [order_service.get_order(session, order_id)]
        order_no = orders[0].source_id
    elif order_no:
        text = order_no.strip()
        orders = order_repository.orders_numbered(session, text)
    shops = catalog_repository.shops_by_id(session)
    return render(
        request,
        "tickets/new.html",
        order_no=order_no or "",
        orders=orders,
        shops=shops,
        quick=QUICK_TYPES,
        tree=config.taxonomy_tree(session),
        **_labels(),
    )


@router.get("/new/subcategories", response_class=HTMLResponse)
def subcategory_options(
    request: Request, session: SessionDep, _: CurrentUser, category: str = ""
) -> Response:
    """The 二级分类 choices of one 一级分类: the form swaps them in when the category changes."""
    subs = list(config.taxonomy_tree(session).get(category, {}))
    return render(request, "tickets/_subcategories.html", subs=subs)


@router.post("/new")
def create_ticket(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    type: Annotated[TicketType, Form()],
    category: Annotated[str, Form()],
    order_id: Annotated[int | None, Form()] = None,
    shop_id: Annotated[int | None, Form()] = None,
    subcategory: Annotated[str | None, Form()] = None,
    title: Annotated[str | None, Form()] = None,
    description: Annotated[str, Form()] = "",
    severity: Annotated[str, Form()] = "medium",
) -> Response:
    subcategory = subcategory or None
    label = TYPE_LABELS[type] + (f"·{subcategory}" if subcategory else "")
    order = session.get(Order, order_id) if order_id else None
    ticket = service.create_ticket(
        session,
        order_id=order_id,
        shop_id=shop_id,
        type=type,
        category=category,
        subcategory=subcategory,
        title=(title or "").strip() or (f"{label}:订单 {order.source_id}" if order else label),
        description=description,
        severity=severity,
        actor_id=user.id,
        assignee_id=user.id,
    )
    return RedirectResponse(f"/console/tickets/{ticket.id}", status_code=303)


# ---- detail and actions ---------------------------------------------------------------------


@router.get("/handoffs", response_class=HTMLResponse)
def handoff_board(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    now = utcnow()
    rows = repository.handoff_board(session, since=now - timedelta(hours=48))
    user_ids = {h.from_user_id for h, _ in rows} | {h.to_user_id for h, _ in rows}
    all_shifts = shift_repository.all_shifts(session)
    current = shifts.current_shift(all_shifts, now)
    roster = shift_repository.roster_names(session)
    return render(
        request,
        "tickets/handoffs.html",
        rows=rows,
        users=auth_repository.display_names(session, user_ids),
        shifts={s.id: s for s in all_shifts},
        current=current,
        roster=roster,
        may_run=user.role.at_least(Role.SUPERVISOR),
        **_labels(),
    )


@router.post("/handoffs/run")
def run_handoff(session: SessionDep, user: RequireSupervisor, shift_code: Annotated[str, Form()]) -> Response:
    shift = shift_repository.shift_by_code(session, shift_code)
    if shift is None:
        raise InvalidInputError("shift_code", f"班次不存在: {shift_code}")
    handoffs.hand_off(session, shift_id=shift.id, day=utcnow().astimezone(SHANGHAI).date())
    return RedirectResponse("/console/tickets/handoffs", status_code=303)


@router.post("/handoffs/{handoff_id}/ack")
def ack_handoff(
    session: SessionDep, user: CurrentUser, handoff_id: int, back: Annotated[str, Form()] = ""
) -> Response:
    handoff = handoffs.acknowledge(session, handoff_id=handoff_id, user_id=user.id)
    target = (
        f"/console/tickets/{handoff.ticket_id}"
        if handoff and back == "ticket"
        else "/console/tickets/handoffs"
    )
    return RedirectResponse(target, status_code=303)


@router.get("/feedback", response_class=HTMLResponse)
def feedback_board(
    request: Request, session: SessionDep, user: CurrentUser, department: str | None = None
) -> Response:
    """Open feedback grouped by SKU and category: what each department should fix first."""
    items = repository.feedback_board(session, department=department)
    groups: dict[tuple[str | None, str], list[Any]] = {}
    for item in items:
        groups.setdefault((item.sku_code, item.category), []).append(item)
    return render(
        request,
        "tickets/feedback.html",
        groups=groups,
        department=department,
        summary=repository.feedback_summary(session, department=department),
        **_labels(),
    )


@router.post("/feedback/{feedback_id}/answer")
def answer_feedback(
    session: SessionDep, user: CurrentUser, feedback_id: int, answer: Annotated[str, Form()]
) -> Response:
    item = feedback.answer_feedback(session, feedback_id=feedback_id, answer=answer.strip(), actor_id=user.id)
    return RedirectResponse(f"/console/tickets/feedback?department={item.department}", status_code=303)


@router.post("/feedback/{feedback_id}/acknowledge")
def acknowledge_feedback(session: SessionDep, user: CurrentUser, feedback_id: int) -> Response:
    item = feedback.acknowledge_feedback(session, feedback_id=feedback_id, actor_id=user.id)
    return RedirectResponse(f"/console/tickets/feedback?department={item.department}", status_code=303)


@router.post("/feedback/{feedback_id}/close")
def close_feedback(session: SessionDep, user: CurrentUser, feedback_id: int) -> Response:
    item = feedback.close_feedback(session, feedback_id=feedback_id, actor_id=user.id)
    return RedirectResponse(f"/console/tickets/feedback?department={item.department}", status_code=303)


@router.get("/{ticket_id}", response_class=HTMLResponse)
def detail(request: Request, session: SessionDep, user: CurrentUser, ticket_id: int) -> Response:
    ticket = service.get_ticket(session, ticket_id)
    now = utcnow()
    state = repository.sla_state_of(session, ticket_id, now=now)
    order = None
    if ticket.order_id is not None:
        row = order_repository.order_with_items(session, ticket.order_id)
        if row is not None:
            parcels = order_repository.shipments_with_events(session, row.id)
            order = OrderDetail.for_order(row, parcels, reveal=user.may_see_pii)
    timeline = repository.timeline(session, ticket_id)
    actor_ids = {e.actor_id for e in timeline} | {ticket.assignee_id}
    agents = auth_repository.active_users(session)
    return render(
        request,
        "tickets/detail.html",
        ticket=ticket,
        sla=state,
        now=now,
        countdown=countdown,
        order=order,
        shop=session.get(Shop, ticket.shop_id),
        timeline=timeline,
        users=auth_repository.display_names(session, actor_ids),
        agents=agents,
        group=session.get(TicketGroup, ticket.group_id) if ticket.group_id else None,
        groups=config_repository.groups(session),
        targets=sorted(service.TRANSITIONS[ticket.status], key=list(TicketStatus).index),
        history=customer_history(session, ticket=ticket, reveal=user.may_see_pii),
        requested_address=requested_address(ticket, reveal=user.may_see_pii),
        feedback_items=repository.ticket_feedback(session, ticket_id),
        handoffs=[
            h for h in repository.pending_handoffs(session, user_id=user.id) if h.ticket_id == ticket_id
        ],
        department_codes=DEPARTMENTS,
        **_labels(),
    )


def requested_address(ticket: Ticket, *, reveal: bool) -> dict[str, str] | None:
    """The new delivery address a customer asked for (``data.requested_address``), masked like an
    order's address for users who may not see PII."""
    new = ticket.data.get("requested_address")
    if not new or reveal:
        return new
    return {
        **new,
        "receiver_name": mask_name(new.get("receiver_name")),
        "receiver_phone": mask_phone(new.get("receiver_phone")),
        "address": mask_address(new.get("address")),
    }


def _back(ticket_id: int) -> Response:
    return RedirectResponse(f"/console/tickets/{ticket_id}", status_code=303)


@router.post("/{ticket_id}/transition")
def transition(
    session: SessionDep,
    user: CurrentUser,
    ticket_id: int,
    to: Annotated[TicketStatus, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    service.transition(session, ticket_id=ticket_id, to=to, actor_id=user.id, note=note.strip() or None)
    return _back(ticket_id)


@router.post("/{ticket_id}/comment")
def comment(
    session: SessionDep,
    user: CurrentUser,
    ticket_id: int,
    text: Annotated[str, Form(min_length=1)],
    internal: Annotated[bool, Form()] = False,
) -> Response:
    service.add_comment(session, ticket_id=ticket_id, actor_id=user.id, text=text.strip(), internal=internal)
    return _back(ticket_id)


@router.post("/{ticket_id}/assign")
def assign(
    session: SessionDep,
    user: CurrentUser,
    ticket_id: int,
    assignee_id: Annotated[int | None, Form()] = None,
    group_code: Annotated[str | None, Form()] = None,
) -> Response:
    service.assign(
        session, ticket_id=ticket_id, actor_id=user.id, assignee_id=assignee_id, group_code=group_code or None
    )
    return _back(ticket_id)


@router.post("/{ticket_id}/follow-up")
def follow_up(
    session: SessionDep,
    user: CurrentUser,
    ticket_id: int,
    at: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
) -> Response:
    try:
        local = datetime.fromisoformat(at).replace(tzinfo=SHANGHAI)
    except ValueError:
        raise InvalidInputError("at", "跟进时间格式错误") from None
    service.schedule_follow_up(
        session, ticket_id=ticket_id, actor_id=user.id, at=local, note=note.strip() or None
    )
    return _back(ticket_id)


@router.post("/{ticket_id}/feedback")
def raise_feedback(
    session: SessionDep,
    user: CurrentUser,
    ticket_id: int,
    department: Annotated[str, Form()],
    content: Annotated[str, Form(min_length=1)],
) -> Response:
    feedback.raise_feedback(
        session, ticket_id=ticket_id, department=department, content=content.strip(), actor_id=user.id
    )
    return _back(ticket_id)
