"""The task each return method creates (seed 004), and what the customer is told about it.

* 快递上门取件: booked with the courier through the logistics adapter interface; the customer is
  told 已预约 with the slot, pickup code and return waybill only once the courier accepted, and
  otherwise that the request is 已提交,待确认 while an agent arranges another slot.
* 同城跑腿: the warehouse group is notified (group bots) and arranges the runner; the customer is
  told it is submitted and awaits confirmation.
* 自行寄回: the return address; the hourly chase job reminds the customer after 3 days.
"""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from aftersales.kit.time import format_local, utcnow
from aftersales.logistics.couriers import CourierContext, PickupReply, courier_adapter
from aftersales.orders.models import Order
from aftersales.selfservice import integrations, repository
from aftersales.selfservice.models import PortalRequest, ReturnMethod, ReturnTask
from aftersales.selfservice.schemas import PICKUP_SLOTS
from aftersales.selfservice.settings import get_selfservice_settings

TASK_OPEN = ("open", "reminded", "booked")
RUNNER_HOURS = 4
SELF_SEND_DAYS = 3


def create_task(session: Session, *, order: Order, request: PortalRequest, pickup_at: datetime | None) -> str:
    """Create the method's task and return the truthful text for the customer."""
    method = request.return_method
    assert method is not None
    task = ReturnTask(request_id=request.id, method=method, status="open", created_at=utcnow())
    session.add(task)
    if method == ReturnMethod.PICKUP:
        assert pickup_at is not None
        text = _book_pickup(session, order, request, task, pickup_at)
    elif method == ReturnMethod.RUNNER:
        text = _call_runner(session, order, request, task)
    else:
        text = _self_send(order, task)
    session.flush()
    if request.ticket_id is not None:
        integrations.add_ticket_note(
            session,
            ticket_id=request.ticket_id,
            message=f"退回方式: {method.label}",
            data={"task": task.note},
        )
    return text


def _receiver(order: Order) -> str:
    return " ".join(filter(None, [order.province, order.city, order.district, order.address]))


def _return_courier(session: Session, order: Order) -> str:
    """The courier that delivered the order takes it back; without a parcel, the configured one."""
    parcels = repository.parcels(session, order.id)
    return parcels[0].courier if parcels else get_selfservice_settings().return_courier


def _book_pickup(
    session: Session, order: Order, request: PortalRequest, task: ReturnTask, pickup_at: datetime
) -> str:
    slot = str(request.details.get("pickup_slot", ""))
    start_hour, end_hour = PICKUP_SLOTS[slot]
    courier = _return_courier(session, order)
    task.due_at, task.address, task.courier = pickup_at, _receiver(order), courier
    reply = courier_adapter(courier).book_pickup(
        courier=courier,
        address=task.address,
        slot_start=pickup_at,
        slot_end=pickup_at + timedelta(hours=end_hour - start_hour),
        now=utcnow(),
        context=CourierContext(
            session, order.shop_id, f"PR{request.id}", order.receiver_name, order.receiver_phone
        ),
    )
    when = f"{format_local(pickup_at, '%m月%d日')} {slot} 点"
    if reply.outcome != "booked":
        task.note = f"快递未接单: {reply.detail},请与顾客改约"
        return f"您的上门取件申请已提交,待确认({reply.detail}),客服会尽快联系您改约时间"
    _record_booking(task, reply)
    code = f"取件码 {reply.pickup_code}," if reply.pickup_code else ""
    return f"已为您预约快递上门取件: {when},{code}退货运单号 {reply.tracking_no},请保持电话畅通"


def _record_booking(task: ReturnTask, reply: PickupReply) -> None:
    task.status = "booked"
    task.pickup_code = reply.pickup_code
    task.tracking_no = reply.tracking_no
    task.booked_at = utcnow()
    code = f"取件码 {reply.pickup_code}," if reply.pickup_code else ""
    task.note = f"快递已接单,{code}退货运单 {reply.tracking_no}"


def _call_runner(session: Session, order: Order, request: PortalRequest, task: ReturnTask) -> str:
    task.due_at = utcnow() + timedelta(hours=RUNNER_HOURS)
    task.address = _receiver(order)
    task.note = "待仓库安排同城跑腿取件"
    integrations.notify_group(
        session,
        group_code="warehouse",
        text=(
            f"【同城跑腿取件】订单 {order.source_id} 的{request.kind.label}申请(编号 {request.id}),"
            f"请在 {format_local(task.due_at, '%m月%d日 %H:%M')} 前安排跑腿到 {task.address} 取件"
        ),
        idempotency_key=f"selfservice:runner:{request.id}",
        subject=("order", order.id),
    )
    return f"同城跑腿取件已提交,待确认: 仓库将在 {RUNNER_HOURS} 小时内联系您安排取件时间"


def _self_send(order: Order, task: ReturnTask) -> str:
    task.due_at = utcnow() + timedelta(days=SELF_SEND_DAYS)
    task.address = get_selfservice_settings().return_address
    task.note = "待顾客寄回并填写运单号"
    return f"请将商品寄回: {task.address},并在包裹内附上订单号 {order.source_id}"
