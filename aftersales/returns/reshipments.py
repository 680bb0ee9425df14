"""Reshipment (补发): pushed to the ERP through the outbox, tracked once the ERP sends the number.

The push is a signed webhook written in the same transaction as the reshipment and delivered by
``messaging.deliver_outbox`` with retries; the ERP sync state shown in the console is that
outbox row's state. The ERP's callback creates an ``orders`` shipment (``is_reshipment``), so the
parcel is tracked like any other, and the customer is told the tracking number via the outbox.
"""

from types import SimpleNamespace
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.catalog.models import Shop, Sku
from aftersales.kit.errors import ConflictError, InvalidInputError, NotFoundError, PermissionDeniedError
from aftersales.kit.time import utcnow
from aftersales.logistics import regions
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.messaging.service import queue_message
from aftersales.orders.couriers import courier_name
from aftersales.orders.models import Order
from aftersales.orders.repository import shipment_ids
from aftersales.orders.schemas import ShipmentIn
from aftersales.orders.service import ingest_shipments, lock_order
from aftersales.returns import erp, repository, ticketing
from aftersales.returns.errors import NoReplacementError, ReshipmentNotFoundError, WarehouseCheckRequiredError
from aftersales.returns.models import (
    SENDABLE_GIFTS,
    GiftStatus,
    Outcome,
    RequestKind,
    Reshipment,
    ReshipmentStatus,
    ReturnRequest,
    SopUpgrade,
)
from aftersales.returns.notices import tell_customer
from aftersales.returns.schemas import ErpCallbackIn, ReshipItem, ReshipmentIn
from aftersales.returns.service import get_policy, get_request, resolve
from aftersales.returns.specs import available, choose_replacement

GIFT_TITLE = "售后关怀礼品"
ADDRESS_FIELDS = ("receiver_name", "receiver_phone", "province", "city", "district", "address")


def create_reshipment(session: Session, *, data: ReshipmentIn, actor_id: int | None) -> Reshipment:
    """Create the reshipment and queue its ERP push in the same transaction.

    A request's SOP upgrades travel with it: SF Express as the courier hint, and a gift upgrade not
    yet sent adds the shop's gift line (once: the upgrade then points at this reshipment)."""
    if session.get(Order, data.order_id) is None:
        raise InvalidInputError("order_id", f"订单不存在: {data.order_id}")
    order = lock_order(session, data.order_id)
    policy = get_policy(session, order.shop_id)
    if not policy.erp_url and policy.erp_format not in erp.CONNECTED:
        raise ConflictError("店铺未配置 ERP 推送地址(售后设置 › erp_url),无法推送补发单")
    _refuse_undeliverable(session, order, data)
    ticket_id, upgrades = data.ticket_id, []
    if data.request_id is not None:
        ticket_id = ticket_id or get_request(session, data.request_id).ticket_id
        upgrades = repository.upgrades_of(session, data.request_id)
    gift = next((u for u in upgrades if _gift_due(u)), None)
    items = list(data.items)
    if gift is not None and (line := gift_line(session, order.shop_id)) not in items:
        items.append(line)
    reshipment = Reshipment(
        shop_id=order.shop_id,
        order_id=order.id,
        request_id=data.request_id,
        ticket_id=ticket_id,
        items=[item.model_dump() for item in items],
        reason=data.reason,
        courier_hint="sf" if any(u.action == "sf_reshipment" for u in upgrades) else None,
        erp_format=policy.erp_format,
        outbox_key=f"pending:{uuid4().hex}",
        status=ReshipmentStatus.PUSHING,
        created_by=actor_id,
        created_at=utcnow(),
        **{f: getattr(data, f) or getattr(order, f) for f in ADDRESS_FIELDS},
    )
    session.add(reshipment)
    session.flush()
    if gift is not None:
        gift.reshipment_id = reshipment.id
    _push(session, reshipment, order, policy.erp_url, policy.erp_shop_no)
    _note_created(session, reshipment, items, gift, actor_id)
    return reshipment


def _refuse_undeliverable(session: Session, order: Order, data: ReshipmentIn) -> None:
    """No parcel to an order paid back in full, nor to an address couriers cannot reach now
    (the same restriction the notices and the bot read)."""
    if order.paid_fen > 0 and repository.refunded_fen(session, order.id) >= order.paid_fen:
        raise ConflictError("该订单已全额退款,不能补发")
    address = SimpleNamespace(
        **{f: getattr(data, f) or getattr(order, f) for f in ("province", "city", "district")}
    )
    restriction = regions.order_restriction(session, order=order, address=address)
    if restriction is not None:
        raise ConflictError(f"收货地区停发中,不能补发: {restriction.text()}")


def _push(
    session: Session, reshipment: Reshipment, order: Order, url: str | None, erp_shop_no: str | None
) -> None:
    """A connected ERP's push goes on the ``erp`` channel, addressed to the ERP by name (the
    connector holds its address and credentials); any other is a signed webhook to ``url``."""
    shop = session.get(Shop, order.shop_id)
    assert shop is not None
    reshipment.outbox_key = f"returns:reshipment:{reshipment.id}:push"
    connected = reshipment.erp_format in erp.CONNECTED
    queue_message(
        session,
        channel=erp.ERP_CHANNEL if connected else "webhook",
        destination=reshipment.erp_format if connected else str(url),
        payload=erp.FORMATS[reshipment.erp_format](reshipment, order, shop, erp_shop_no),
        idempotency_key=reshipment.outbox_key,
        subject=("reshipment", reshipment.id),
    )
    session.flush()


def _note_created(
    session: Session,
    reshipment: Reshipment,
    items: list[ReshipItem],
    gift: SopUpgrade | None,
    actor_id: int | None,
) -> None:
    hints = ["顺丰"] if reshipment.courier_hint else []
    if gift is not None:
        hints.append(f"赠品,触发:{gift.detail}")
    hint = f"(SOP 升级:{';'.join(hints)})" if hints else ""
    listed = "、".join(f"{i.title}×{i.quantity}" for i in items)
    ticketing.note(
        session,
        reshipment.ticket_id,
        actor_id=actor_id,
        kind="returns.reshipment",
        message=f"创建补发单 {erp.out_order_no(reshipment)}{hint}:{listed};"
        f"原因:{reshipment.reason};已排队推送 ERP",
        data={"reshipment_id": reshipment.id, **({"sop_rule": gift.rule} if gift is not None else {})},
    )


def gift_line(session: Session, shop_id: int) -> ReshipItem:
    """The shop's gift SKU (policy ``gift_sku_code``), else a plain gift line the warehouse picks."""
    code = get_policy(session, shop_id).gift_sku_code
    sku = session.scalar(select(Sku).where(Sku.shop_id == shop_id, Sku.code == code)) if code else None
    return ReshipItem(sku_code=code, title=sku.name if sku is not None else GIFT_TITLE, quantity=1)


def send_sop_gift(session: Session, *, request: ReturnRequest) -> Reshipment | None:
    """A gift upgrade at intake: an exchange carries it in its coming reshipment; a return or refund
    gets none, so the gift goes out now as a reshipment of its own, pushed to the ERP like any other."""
    gift = next((u for u in repository.upgrades_of(session, request.id) if _gift_due(u)), None)
    if gift is None or request.kind == RequestKind.EXCHANGE:
        return None
    gift_policy = get_policy(session, request.shop_id)
    if not gift_policy.erp_url and gift_policy.erp_format not in erp.CONNECTED:
        ticketing.note(
            session,
            request.ticket_id,
            actor_id=None,
            kind="returns.sop",
            message="店铺未配置 ERP 推送地址,SOP 赠品需人工安排发货",
            data={"rule": gift.rule},
        )
        return None
    data = ReshipmentIn(
        order_id=request.order_id,
        request_id=request.id,
        items=[gift_line(session, request.shop_id)],
        reason=f"SOP 升级赠品:{gift.detail}",
    )
    return create_reshipment(session, data=data, actor_id=None)


def _gift_due(upgrade: SopUpgrade) -> bool:
    """A gift not yet sent, within the caps or approved by a supervisor."""
    return upgrade.action == "gift" and upgrade.reshipment_id is None and upgrade.status in SENDABLE_GIFTS


def decide_gift(
    session: Session, *, upgrade_id: int, approve: bool, actor: User, note: str | None = None
) -> SopUpgrade:
    """A supervisor lets a capped gift go out (sent at once, as any SOP gift) or refuses it."""
    if not actor.role.at_least(Role.SUPERVISOR):
        raise PermissionDeniedError("只有主管可以审批赠品")
    upgrade = session.get(SopUpgrade, upgrade_id)
    if upgrade is None or upgrade.action != "gift":
        raise NotFoundError(f"赠品不存在: {upgrade_id}")
    request = get_request(session, upgrade.request_id)
    lock_order(session, request.order_id)
    session.refresh(upgrade)
    if upgrade.status != GiftStatus.PENDING:
        raise ConflictError("该赠品已处理,不能重复审批")
    upgrade.status = GiftStatus.APPROVED if approve else GiftStatus.REJECTED
    upgrade.decided_by, upgrade.decided_at = actor.id, utcnow()
    session.flush()
    verdict = "主管批准赠品" if approve else "主管驳回赠品"
    ticketing.note(
        session,
        request.ticket_id,
        actor_id=actor.id,
        kind="returns.sop",
        message=verdict + (f":{note}" if note else ""),
        data={"sop_upgrade_id": upgrade.id},
    )
    if approve:
        send_sop_gift(session, request=request)
    return upgrade


def replacement_for(session: Session, sku: Sku) -> Sku | None:
    """The SKU itself when it can still be sent, else the equal-or-better replacement."""
    if available(sku):
        return sku
    candidates = session.scalars(select(Sku).where(Sku.shop_id == sku.shop_id, Sku.category == sku.category))
    return choose_replacement(sku, candidates)


def exchange_after_check(session: Session, *, request_id: int, actor: User) -> Reshipment:
    """Send the exchange (or its replacement model) once the warehouse has passed the returned item."""
    request = get_request(session, request_id)
    if request.warehouse_check != "passed":
        raise WarehouseCheckRequiredError()
    if request.sku_id is None:
        raise InvalidInputError("sku_code", "该申请未指定商品,无法换新")
    sku = session.get(Sku, request.sku_id)
    assert sku is not None
    target = replacement_for(session, sku)
    if target is None:
        raise NoReplacementError(sku.code)
    why = (
        "换货"
        if target.id == sku.id
        else f"原型号 {sku.code} 停产/缺货,换新为性能不低于原型号的 {target.code}"
    )
    reshipment = create_reshipment(
        session,
        data=ReshipmentIn(
            order_id=request.order_id,
            request_id=request.id,
            items=[ReshipItem(sku_code=target.code, title=target.name, quantity=request.quantity)],
            reason=why,
        ),
        actor_id=actor.id,
    )
    if request.kind in (RequestKind.EXCHANGE, RequestKind.RETURN) and request.outcome is None:
        resolve(session, request, outcome=Outcome.EXCHANGED, actor_id=actor.id, message=f"仓库检测通过,{why}")
    return reshipment


def erp_callback(session: Session, *, data: ErpCallbackIn) -> Reshipment:
    """Back-fill the tracking number: the parcel becomes an ``orders`` shipment and the customer is told.

    Idempotent: the same callback again changes nothing and queues nothing new.
    """
    reshipment_id = erp.parse_out_order_no(data.out_order_no)
    reshipment = session.get(Reshipment, reshipment_id) if reshipment_id else None
    if reshipment is None:
        raise ReshipmentNotFoundError(reshipment_id or 0)
    order = session.get(Order, reshipment.order_id)
    shop = session.get(Shop, reshipment.shop_id)
    assert order is not None
    assert shop is not None
    shipped_at = data.shipped_at or utcnow()
    result = ingest_shipments(
        session,
        [
            ShipmentIn(
                shop_code=shop.code,
                order_no=order.source_id,
                courier=data.courier,
                tracking_no=data.tracking_no,
                shipped_at=shipped_at,
                item_summary=f"补发 {erp.out_order_no(reshipment)}",
                is_reshipment=True,
            )
        ],
    )
    if result.rejected:
        raise NotFoundError(str(result.rejected[0]["reason"]))
    shipment_id = shipment_ids(session, [(data.courier, data.tracking_no)])[(data.courier, data.tracking_no)]
    first_time = reshipment.shipment_id != shipment_id
    reshipment.shipment_id = shipment_id
    reshipment.status = ReshipmentStatus.SHIPPED
    reshipment.shipped_at = reshipment.shipped_at or shipped_at
    session.flush()
    if first_time:
        _tell_customer(session, reshipment, order, courier=data.courier, tracking_no=data.tracking_no)
        ticketing.note(
            session,
            reshipment.ticket_id,
            actor_id=None,
            kind="returns.reshipment",
            message=f"ERP 已发出补发单 {erp.out_order_no(reshipment)}:"
            f"{courier_name(data.courier)} {data.tracking_no},已通知客户",
        )
    return reshipment


def _tell_customer(
    session: Session, reshipment: Reshipment, order: Order, *, courier: str, tracking_no: str
) -> None:
    tell_customer(
        session,
        order=order,
        template_code="reshipment_notice",
        idempotency_key=f"returns:reshipment:{reshipment.id}:shipped:{tracking_no}",
        fallback_text=(
            f"亲,您订单 {order.source_id} 的补发商品已发出,{courier_name(courier)} 运单号 {tracking_no},"
            "请留意查收。给您带来不便非常抱歉!"
        ),
    )


def sync_state(reshipment: Reshipment, message: OutboxMessage | None) -> str:
    """ERP sync state in words, read from the outbox row that carries the push."""
    if reshipment.status == ReshipmentStatus.SHIPPED:
        return "已回传单号"
    if message is None:
        return "未推送"
    if message.status == OutboxStatus.SENT:
        return "已推送,待 ERP 发货"
    if message.status == OutboxStatus.DEAD:
        return f"推送失败(已重试 {message.attempts} 次,待人工处理)"
    if message.attempts == 0:
        return "待推送"
    return f"推送失败,重试中(第 {message.attempts} 次)"


def list_with_sync(session: Session, *, limit: int = 200) -> list[dict[str, Any]]:
    rows = session.execute(repository.reshipments_with_sync().limit(limit))
    return [
        {"reshipment": reshipment, "message": message, "sync": sync_state(reshipment, message)}
        for reshipment, message in rows
    ]


def last_error(message: OutboxMessage | None) -> str | None:
    return message.last_error if message is not None else None
