"""One click from a group's reply to what it confirms (seed 001: 快递回复消息自动回填工单).

A reply filed under a ticket may confirm an interception (快递: 已拦截), a reshipment with its
tracking number (仓库: 已补发 顺丰 SF…) or a parcel found (快递: 找到了). The agent turns it into
that action through the services that own it: logistics accepts the order's waiting intercepts
(returns then releases the held refund per the shop's rule), the reshipment gets its tracking
number as if the ERP had called back, the order's open logistics anomalies are closed. The
order's lock is taken first, since a refund may move; a reply acts once.
"""

import re
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.kit.errors import InvalidInputError
from aftersales.logistics.intercepts import confirm_from_group
from aftersales.logistics.models import Anomaly, AnomalyStatus
from aftersales.logistics.service import resolve_anomaly
from aftersales.orders.couriers import COURIERS, courier_code, courier_name
from aftersales.orders.service import lock_order
from aftersales.returns.erp import out_order_no
from aftersales.returns.models import Reshipment, ReshipmentStatus
from aftersales.returns.reshipments import erp_callback
from aftersales.returns.schemas import ErpCallbackIn
from aftersales.tickets import collab_replies
from aftersales.tickets.collab_models import GroupReply
from aftersales.tickets.models import Ticket

COURIER_WORDS = ("顺丰", "中通", "圆通", "韵达", "申通", "京东", "极兔", "EMS", "邮政", *COURIERS.values())
TRACKING = re.compile(r"\b[A-Za-z]{0,4}\d{8,22}\b")


def apply_reply_action(session: Session, *, reply_id: int, actor: User) -> str:
    """Carry out the action the reply confirms; returns what was done (also on the timeline)."""
    reply = collab_replies.get_reply(session, reply_id)
    if reply.action_done_at is not None:
        return "该回复已处理"
    if reply.ticket_id is None or reply.action is None:
        raise InvalidInputError("reply_id", "该回复未关联工单或没有可执行的操作")
    ticket = session.get(Ticket, reply.ticket_id)
    if ticket is None or ticket.order_id is None:
        raise InvalidInputError("reply_id", "工单没有关联订单,无法执行")
    lock_order(session, ticket.order_id)
    session.refresh(reply)
    if reply.action_done_at is not None:
        return "该回复已处理"
    message = ACTIONS[reply.action](session, reply, ticket.order_id)
    collab_replies.mark_action_done(session, reply, actor_id=actor.id, message=message)
    return message


def _intercept(session: Session, reply: GroupReply, order_id: int) -> str:
    accepted = confirm_from_group(
        session, order_id=order_id, detail=f"快递群确认拦截({reply.sender}):{reply.text}"
    )
    if not accepted:
        raise InvalidInputError("reply_id", "该订单没有等待快递确认的拦截")
    return f"按快递回复确认拦截 {len(accepted)} 个包裹"


def _reshipment(session: Session, reply: GroupReply, order_id: int) -> str:
    reshipment = session.scalar(
        select(Reshipment)
        .where(Reshipment.order_id == order_id, Reshipment.status == ReshipmentStatus.PUSHING)
        .order_by(Reshipment.id.desc())
        .limit(1)
    )
    if reshipment is None:
        raise InvalidInputError("reply_id", "该订单没有等待发出的补发单")
    courier, tracking_no = parcel_in(reply.text)
    erp_callback(
        session,
        data=ErpCallbackIn(out_order_no=out_order_no(reshipment), courier=courier, tracking_no=tracking_no),
    )
    return f"按仓库回复登记补发 {out_order_no(reshipment)}:{courier_name(courier)} {tracking_no}"


def parcel_in(text: str) -> tuple[str, str]:
    """The courier and tracking number a reply names (``已补发 顺丰 SF1234567890``)."""
    courier = next((courier_code(word) for word in COURIER_WORDS if word in text), None)
    tracking = TRACKING.search(text)
    if courier is None or tracking is None:
        raise InvalidInputError("reply_id", "回复中没有找到快递公司和单号,请在补发页面手工登记")
    return courier, tracking.group(0)


def _found(session: Session, reply: GroupReply, order_id: int) -> str:
    open_ids = session.scalars(
        select(Anomaly.id).where(Anomaly.order_id == order_id, Anomaly.status == AnomalyStatus.OPEN)
    ).all()
    if not open_ids:
        raise InvalidInputError("reply_id", "该订单没有未关闭的物流异常")
    for anomaly_id in open_ids:
        resolve_anomaly(session, anomaly_id=anomaly_id)
    return f"包裹已找回({reply.sender}):关闭物流异常 {len(open_ids)} 条"


ACTIONS: dict[str, Callable[[Session, GroupReply, int], str]] = {
    "intercept": _intercept,
    "reshipment": _reshipment,
    "found": _found,
}
