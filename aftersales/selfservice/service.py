"""Portal requests: the rules behind each three-step flow, the ticket and return request each one
becomes, the task a return method creates, and the progress the customer follows.

Every function takes the session and keyword-only arguments and only flushes.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.kit.errors import InvalidInputError, NotFoundError
from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.orders.models import Order, OrderStatus
from aftersales.orders.service import lock_order
from aftersales.selfservice import access, holds, integrations, invoices, repository, returntasks
from aftersales.selfservice.errors import PortalRequestNotFoundError, RequestNotAllowedError
from aftersales.selfservice.models import (
    Invoice,
    PortalRequest,
    PortalRequestStep,
    PortalUpload,
    RequestKind,
    RequestStatus,
    ReturnMethod,
)
from aftersales.selfservice.schemas import (
    PICKUP_SLOTS,
    RETURN_REASONS,
    AddressChange,
    DelayShipping,
    InstallationRequest,
    InvoiceRegistration,
    MissingItem,
    ReturnApply,
)
from aftersales.selfservice.settings import get_selfservice_settings
from aftersales.selfservice.uploads import check_batch, store_upload
from aftersales.tickets.config.defaults import GIFT_CATEGORY

OPEN_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.PROCESSING)
# The SMS channel refuses texts over 500 characters; the link takes about 100.
SMS_TEXT_CHARS = 300
SHIPPED = (OrderStatus.SHIPPED, OrderStatus.COMPLETED)

# kind -> (ticket type, category, subcategory, group code), per the taxonomy of seed 004; a
# missing-item claim about gift lines alone goes under 赠品漏发 instead (seed 001's gifts).
TICKET_SHAPE: dict[RequestKind, tuple[str, str, str | None, str]] = {
    RequestKind.RETURN: ("return", "商品问题", None, "aftersales"),
    RequestKind.EXCHANGE: ("exchange", "商品问题", None, "aftersales"),
    RequestKind.REFUND: ("refund", "商品问题", None, "aftersales"),
    RequestKind.ADDRESS_CHANGE: ("consultation", "物流问题", "修改地址", "warehouse"),
    RequestKind.INVOICE: ("consultation", "其他", "发票", "aftersales"),
    RequestKind.INSTALLATION: ("consultation", "服务问题", "安装", "aftersales"),
    RequestKind.DELAY_SHIPPING: ("consultation", "物流问题", "延迟发货", "warehouse"),
    RequestKind.MISSING_ITEM: ("reshipment", "商品问题", "错发漏发", "warehouse"),
}
REASON_SUBCATEGORY = {
    "damaged": "质量问题",
    "defective": "质量问题",
    "not_as_described": "描述不符",
    "wrong_item": "错发漏发",
    "not_fit": "主观不满意",
    "no_reason": "主观不满意",
    "changed_mind": "其他",
    "other": "其他",
}


@dataclass(frozen=True)
class Draft:
    """What every flow hands to ``_submit`` once its own rules passed."""

    kind: RequestKind
    details: dict[str, Any]
    reason: str | None = None
    description: str | None = None
    return_method: ReturnMethod | None = None


def get_order(session: Session, order_id: int) -> Order:
    order = repository.order_for_portal(session, order_id)
    if order is None:
        raise NotFoundError("订单不存在")
    return order


def get_request(session: Session, *, request_id: int, order_id: int | None = None) -> PortalRequest:
    """A request with its steps; with ``order_id`` only if it belongs to that order (portal access)."""
    request = repository.request_with_steps(session, request_id)
    if request is None or (order_id is not None and request.order_id != order_id):
        raise PortalRequestNotFoundError()
    return request


def allowed_kinds(order: Order) -> list[RequestKind]:
    """What the portal offers for this order's state, so the customer never picks a dead end."""
    if order.status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CLOSED):
        return []
    shipped = order.status in SHIPPED or bool(order.shipments)
    kinds = [RequestKind.REFUND, RequestKind.INVOICE, RequestKind.INSTALLATION]
    if shipped:
        kinds[:0] = [RequestKind.RETURN, RequestKind.EXCHANGE]
        kinds.append(RequestKind.MISSING_ITEM)
    else:
        kinds += [RequestKind.ADDRESS_CHANGE, RequestKind.DELAY_SHIPPING]
    return kinds


def _ensure_allowed(session: Session, order: Order, kind: RequestKind) -> None:
    """Checked under the order's lock, so parallel submits of one form make one request."""
    lock_order(session, order.id)
    if kind not in allowed_kinds(order):
        if kind in (RequestKind.ADDRESS_CHANGE, RequestKind.DELAY_SHIPPING):
            raise RequestNotAllowedError("订单已发货,无法自助修改;如需改址请联系客服申请拦截改派")
        if kind in (RequestKind.RETURN, RequestKind.EXCHANGE, RequestKind.MISSING_ITEM):
            raise RequestNotAllowedError("订单尚未发货,可直接申请仅退款")
        raise RequestNotAllowedError("该订单当前状态不支持此申请")
    pending = session.scalar(
        select(PortalRequest.id).where(
            PortalRequest.order_id == order.id,
            PortalRequest.kind == kind,
            PortalRequest.status.in_(OPEN_STATUSES),
        )
    )
    if pending is not None:
        raise RequestNotAllowedError(f"该订单已有进行中的{kind.label}申请(编号 {pending}),请查看进度")


def _local_today() -> date:
    return utcnow().astimezone(SHANGHAI).date()


def _pickup_start(data: ReturnApply) -> datetime:
    assert data.pickup_date is not None
    assert data.pickup_slot is not None
    start_hour = PICKUP_SLOTS[data.pickup_slot][0]
    start = datetime.combine(data.pickup_date, time(start_hour), tzinfo=SHANGHAI)
    if start <= utcnow() or data.pickup_date > _local_today() + timedelta(days=7):
        raise InvalidInputError("pickup_date", "请选择未来 7 天内、尚未开始的取件时间段")
    return start


def submit_return(
    session: Session, *, order_id: int, data: ReturnApply, photos: Sequence[tuple[bytes, str | None]] = ()
) -> PortalRequest:
    """退货 / 换货 / 仅退款: a ticket, a return request in the returns domain, and the method's task."""
    order = get_order(session, order_id)
    _ensure_allowed(session, order, data.kind)
    pickup_at = _pickup_start(data) if data.return_method == ReturnMethod.PICKUP else None
    details: dict[str, Any] = {"pickup_at": pickup_at.isoformat() if pickup_at else None}
    if data.pickup_slot:
        details["pickup_slot"] = data.pickup_slot
    if data.exchange_spec:
        details["exchange_spec"] = data.exchange_spec
    draft = Draft(data.kind, details, data.reason, data.description, data.return_method)
    request = _submit(session, order, draft, list(photos), via_returns=True)
    if request.return_method is not None and not request.details.get("photo_refund"):
        text = returntasks.create_task(session, order=order, request=request, pickup_at=pickup_at)
        _notify(session, order, request, text, key=f"return-{request.return_method.value}")
    return request


def submit_address_change(session: Session, *, order_id: int, data: AddressChange) -> PortalRequest:
    order = get_order(session, order_id)
    _ensure_allowed(session, order, RequestKind.ADDRESS_CHANGE)
    old = " ".join(filter(None, [order.province, order.city, order.district, order.address]))
    if (blocked := holds.restriction(session, order, address=data)) is not None:
        raise InvalidInputError("province", f"新地址所在地区暂停派送:{blocked.text()},请换一个地址")
    details = {"new": data.model_dump(), "old_address": old}
    text = f"新地址在{data.province}{data.city}{data.district}(完整地址见工单「新收货地址」,按权限脱敏)"
    if (held := holds.restriction(session, order)) is not None:
        details["old_hold"] = held.text()
        text += f";原地址{held.text()},改址后可正常发货"
    return _submit(session, order, Draft(RequestKind.ADDRESS_CHANGE, details, description=text), [])


def submit_invoice(session: Session, *, order_id: int, data: InvoiceRegistration) -> PortalRequest:
    order = get_order(session, order_id)
    _ensure_allowed(session, order, RequestKind.INVOICE)
    text = f"抬头: {data.title}" + (f" 税号: {data.tax_id}" if data.tax_id else "")
    return _submit(session, order, Draft(RequestKind.INVOICE, data.model_dump(), description=text), [])


def submit_installation(session: Session, *, order_id: int, data: InstallationRequest) -> PortalRequest:
    order = get_order(session, order_id)
    _ensure_allowed(session, order, RequestKind.INSTALLATION)
    if not _local_today() < data.preferred_date <= _local_today() + timedelta(days=60):
        raise InvalidInputError("preferred_date", "请选择明天起 60 天内的日期")
    text = f"期望上门日期: {data.preferred_date.isoformat()}" + (f";{data.note}" if data.note else "")
    draft = Draft(RequestKind.INSTALLATION, data.model_dump(mode="json"), description=text)
    return _submit(session, order, draft, [])


def submit_delay(session: Session, *, order_id: int, data: DelayShipping) -> PortalRequest:
    order = get_order(session, order_id)
    _ensure_allowed(session, order, RequestKind.DELAY_SHIPPING)
    if not _local_today() < data.ship_after <= _local_today() + timedelta(days=30):
        raise InvalidInputError("ship_after", "延迟发货最多 30 天,请选择明天起 30 天内的日期")
    text = f"希望 {data.ship_after.isoformat()} 之后发货" + (f";{data.note}" if data.note else "")
    if (held := holds.restriction(session, order)) is not None:
        text += f";注意:订单当前{held.text()}"
    draft = Draft(RequestKind.DELAY_SHIPPING, data.model_dump(mode="json"), description=text)
    return _submit(session, order, draft, [])


def submit_missing_item(
    session: Session, *, order_id: int, data: MissingItem, photos: Sequence[tuple[bytes, str | None]] = ()
) -> PortalRequest:
    order = get_order(session, order_id)
    _ensure_allowed(session, order, RequestKind.MISSING_ITEM)
    lines = {item.line_no: item for item in order.items}
    unknown = [n for n in data.line_nos if n not in lines]
    if unknown:
        raise InvalidInputError("line_nos", "请选择本订单中的商品")
    holds.refuse_missing_in_transit(lines, data.line_nos, repository.parcels(session, order.id), utcnow())
    titles = [f"{lines[n].title} x{lines[n].quantity}" for n in data.line_nos]
    gifts_only = all(lines[n].is_gift for n in data.line_nos)
    details = {"line_nos": data.line_nos, "titles": titles, "gifts_only": gifts_only}
    text = ("少收赠品: " if gifts_only else "少收: ") + "、".join(titles)
    text += f";{data.description}" if data.description else ""
    return _submit(session, order, Draft(RequestKind.MISSING_ITEM, details, "wrong_item", text), list(photos))


def _submit(
    session: Session,
    order: Order,
    draft: Draft,
    photos: list[tuple[bytes, str | None]],
    *,
    via_returns: bool = False,
) -> PortalRequest:
    check_batch(photos)
    now = utcnow()
    request = PortalRequest(
        order_id=order.id,
        shop_id=order.shop_id,
        kind=draft.kind,
        status=RequestStatus.SUBMITTED,
        reason=draft.reason,
        description=draft.description,
        details=draft.details,
        return_method=draft.return_method,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    uploads = [store_upload(session, order_id=order.id, data=data, filename=name) for data, name in photos]
    for upload in uploads:
        upload.request_id = request.id
    if via_returns:
        _link_return_request(session, order, request)
    if request.ticket_id is None:
        _open_ticket(session, order, request, uploads)
    elif uploads:
        photos_note = "、".join(u.stored_name for u in uploads)
        integrations.add_ticket_note(
            session, ticket_id=request.ticket_id, message=f"顾客上传照片: {photos_note}", data={}
        )
    _share_photos(session, request, photos)
    if request.expected_by is None:
        request.expected_by = now + timedelta(hours=get_selfservice_settings().default_expected_hours)
    _add_step(session, request, RequestStatus.SUBMITTED, f"您的{draft.kind.label}申请已提交", now)
    _notify(session, order, request, f"您的{draft.kind.label}申请已提交(编号 {request.id})")
    session.flush()
    return request


def _share_photos(session: Session, request: PortalRequest, photos: list[tuple[bytes, str | None]]) -> None:
    """The photos join the ticket's evidence (group cards carry them); damage with photos may be
    refunded at once by the shop's photo rule, which then needs no return parcel."""
    if request.ticket_id is None or not photos:
        return
    photo_ids = integrations.attach_ticket_photos(session, ticket_id=request.ticket_id, photos=photos)
    if request.return_request_id is not None and integrations.refund_on_photos(
        session, return_request_id=request.return_request_id, photo_ids=photo_ids
    ):
        request.details = {**request.details, "photo_refund": True}


def _open_ticket(session: Session, order: Order, request: PortalRequest, uploads: list[PortalUpload]) -> None:
    ticket_type, category, subcategory, group = TICKET_SHAPE[request.kind]
    if request.details.get("gifts_only"):
        category, subcategory = GIFT_CATEGORY
    if request.reason in REASON_SUBCATEGORY and subcategory is None:
        subcategory = REASON_SUBCATEGORY[request.reason]
        category = "其他" if subcategory == "其他" else category
    ref = integrations.open_ticket(
        session,
        source="selfservice",
        source_key=f"portal-request:{request.id}",
        shop_id=order.shop_id,
        order_id=order.id,
        customer_id=order.customer_id,
        type=ticket_type,
        category=category,
        subcategory=subcategory,
        title=f"[自助]{request.kind.label}: 订单 {order.source_id}",
        description=_ticket_text(request),
        severity="medium",
        group_code=group,
        data={
            "portal_request_id": request.id,
            "kind": request.kind.value,
            "details": request.details,
            "photos": [u.stored_name for u in uploads],
            "return_method": request.return_method.value if request.return_method else None,
            "requested_address": request.details.get("new")
            if request.kind == RequestKind.ADDRESS_CHANGE
            else None,
        },
    )
    request.ticket_id = ref.id
    request.expected_by = ref.expected_by


def _ticket_text(request: PortalRequest) -> str:
    parts = [f"顾客通过自助售后提交{request.kind.label}申请。"]
    if request.reason:
        parts.append(f"原因: {RETURN_REASONS.get(request.reason, request.reason)}")
    if request.return_method:
        parts.append(f"退回方式: {request.return_method.label}")
    if request.description:
        parts.append(request.description)
    return "\n".join(parts)


def _link_return_request(session: Session, order: Order, request: PortalRequest) -> None:
    """Hand the request to the returns domain, which opens the ticket and applies refund,
    interception and retention rules."""
    created = integrations.create_return_request(
        session,
        order=order,
        kind=request.kind.value,
        reason_code=request.reason or "other",
        reason_text=_ticket_text(request),
    )
    request.return_request_id = created.id
    request.ticket_id = created.ticket_id
    request.expected_by = created.expected_by


def _add_step(
    session: Session, request: PortalRequest, status: RequestStatus, message: str, at: datetime
) -> PortalRequestStep:
    step = PortalRequestStep(request_id=request.id, status=status, message=message[:500], occurred_at=at)
    session.add(step)
    return step


def _notify(session: Session, order: Order, request: PortalRequest, text: str, *, key: str = "") -> None:
    """A message to the customer with the progress link; keyed so a retry never sends twice."""
    settings = get_selfservice_settings()
    link = f"{settings.public_base_url}{access.portal_path(order.id)}"
    step_count = len(request.__dict__.get("steps") or [])
    integrations.send_text(
        session,
        order_id=order.id,
        phone=order.receiver_phone or repository.customer_phone(session, order.customer_id),
        text=f"{text[:SMS_TEXT_CHARS]}。进度查询: {link}",
        idempotency_key=f"selfservice:request:{request.id}:{request.status.value}:{key or step_count}",
    )


def advance(
    session: Session,
    *,
    request_id: int,
    status: RequestStatus,
    message: str,
    ticket_note: bool = True,
    actor_id: int | None = None,
) -> PortalRequest:
    """Move a request on and tell the customer; the progress page shows the new step at once.
    A completed invoice registration is issued (``invoices.issue``) and its notice sent, unless the
    order was refunded in full: then the request says so, and resolving its ticket still works."""
    request = get_request(session, request_id=request_id)
    if request.status in (RequestStatus.COMPLETED, RequestStatus.REJECTED):
        raise RequestNotAllowedError("该申请已结束,不能再变更")
    now = utcnow()
    request.status = status
    request.updated_at = now
    step = _add_step(session, request, status, message, now)
    if status in (RequestStatus.COMPLETED, RequestStatus.REJECTED):
        task = repository.task_of_request(session, request.id)
        if task is not None and task.status in returntasks.TASK_OPEN:
            task.status = "done" if status == RequestStatus.COMPLETED else "cancelled"
    session.flush()
    order = get_order(session, request.order_id)
    _notify(
        session, order, request, f"您的{request.kind.label}申请{status.label}: {message}", key=str(step.id)
    )
    if request.kind == RequestKind.INVOICE and status == RequestStatus.COMPLETED:
        if invoices.refunded_in_full(session, request.order_id):
            _add_step(session, request, status, invoices.NOTHING_DUE, now)
        else:
            invoices.tell_buyer(session, request, invoices.issue(session, request=request, actor_id=actor_id))
    if ticket_note and request.ticket_id is not None:
        integrations.add_ticket_note(
            session, ticket_id=request.ticket_id, message=f"自助申请{status.label}: {message}", data={}
        )
    session.flush()
    return request


def issue_invoice(session: Session, *, request_id: int, actor_id: int | None) -> Invoice:
    """开具: the registration's invoice is issued and the request completed; the buyer gets the
    progress message and the invoice notice with its link. A repeat returns the same invoice; a
    registration completed before invoices were issued here gets its invoice now."""
    request = get_request(session, request_id=request_id)
    if request.kind != RequestKind.INVOICE:
        raise RequestNotAllowedError("只有发票登记可以开具发票")
    if request.status == RequestStatus.REJECTED:
        raise RequestNotAllowedError("该发票登记未通过,不能开具")
    invoice = invoices.issue(session, request=request, actor_id=actor_id)
    if request.status in OPEN_STATUSES:
        message = f"电子发票已开具,发票号码 {invoice.number}"
        advance(
            session, request_id=request.id, status=RequestStatus.COMPLETED, message=message, actor_id=actor_id
        )
    else:
        invoices.tell_buyer(session, request, invoice)
    return invoice


def complete_for_ticket(session: Session, *, ticket_id: int) -> int:
    """The ticket behind portal requests was resolved: close them and tell the customer."""
    count = 0
    for request in repository.requests_by_ticket(session, ticket_id):
        if request.status in OPEN_STATUSES:
            advance(
                session,
                request_id=request.id,
                status=RequestStatus.COMPLETED,
                message="客服已处理完成",
                ticket_note=False,
            )
            count += 1
    return count


def chase_self_sent_returns(session: Session, *, now: datetime | None = None) -> int:
    """Self-send returns still open past their due time: remind the customer once, with the address."""
    now = now or utcnow()
    due = repository.overdue_self_send_tasks(session, now)
    for task, request in due:
        order = get_order(session, request.order_id)
        text = f"您的退货还未寄出,请尽快寄回: {task.address},包裹内附订单号 {order.source_id}"
        _notify(session, order, request, text, key=f"chase:{task.id}")
        task.status = "reminded"
    session.flush()
    return len(due)
