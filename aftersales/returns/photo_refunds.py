"""Photo-based direct refund (seed 004: 质量损坏类问题提供图片直接退款, 减少客户的售后步骤).

A buyer who reports quality damage with photos is refunded at once, without a return parcel,
when the shop's ``PhotoRefundRule`` allows it: a damage reason, enough photos, every SKU of the
request in the rule's categories, the amount within both the rule's cap and the amount an agent
may pay alone under the shop's policy (``agent_cap_fen``), and a buyer who is not a serial
returner. The refund is the regular one (``refunds.release_refund``): under the order's lock,
once (an idempotency record per request), on the compensation ledger with the photos named as
evidence. A request the rule does
not cover goes to the supervisors for approval, with the reason it was not automatic.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Sku
from aftersales.orders.models import OrderItem
from aftersales.orders.service import keyed_result, remember_key
from aftersales.returns import repository, shop_rules, ticketing
from aftersales.returns.models import (
    Authority,
    PayoutKind,
    PhotoRefundRule,
    RefundState,
    RequestKind,
    ReturnRequest,
)
from aftersales.returns.policy import yuan
from aftersales.returns.refunds import release_refund
from aftersales.returns.service import get_policy, lock_request

DAMAGE_REASONS = ("damaged", "transit_damage", "flaw", "defective")
RULE_FIELDS = (
    "is_active",
    "sku_categories",
    "max_fen",
    "min_photos",
    "serial_window_days",
    "serial_max_requests",
)


@dataclass(frozen=True)
class PhotoRefundOutcome:
    refunded: bool
    reason: str


def rule_for(session: Session, shop_id: int) -> PhotoRefundRule | None:
    return shop_rules.rule_for(session, PhotoRefundRule, shop_id)


def save_rule(session: Session, *, shop_id: int, values: dict[str, Any]) -> PhotoRefundRule:
    return shop_rules.save_rule(session, PhotoRefundRule, shop_id=shop_id, values=values, fields=RULE_FIELDS)


def refund_on_photos(session: Session, *, request_id: int, photo_ids: list[int]) -> PhotoRefundOutcome | None:
    """Refund directly, or route to approval; ``None`` when no rule of the shop applies at all."""
    request = lock_request(session, request_id)
    rule = rule_for(session, request.shop_id)
    if rule is None or not rule.is_active or request.reason_code not in DAMAGE_REASONS:
        return None
    key = f"photo-refund:{request.id}"
    values = {"request": request.id}
    if keyed_result(session, order_id=request.order_id, kind="refund", key=key, values=values) is not None:
        return PhotoRefundOutcome(True, "已按照片直接退款")
    why_not = refusal(session, request, rule, len(photo_ids))
    if why_not is not None:
        _route_to_approval(session, request, why_not)
        return PhotoRefundOutcome(False, why_not)
    payout = release_refund(
        session,
        request,
        kind=PayoutKind.REFUND,
        authority=Authority.SHOP_RULE,
        actor_id=None,
        note=f"破损照片直接退款,免寄回(凭证照片 {len(photo_ids)} 张,编号 {', '.join(map(str, photo_ids))})",
    )
    session.flush()
    remember_key(
        session, order_id=request.order_id, kind="refund", key=key, values=values, result_id=payout.id
    )
    return PhotoRefundOutcome(True, "已按照片直接退款")


def refusal(session: Session, request: ReturnRequest, rule: PhotoRefundRule, photos: int) -> str | None:
    """Why this request is not refunded automatically, or ``None`` when the rule covers it."""
    limit = min(rule.max_fen, get_policy(session, request.shop_id).agent_cap_fen)
    checks = (
        (request.kind not in (RequestKind.REFUND_ONLY, RequestKind.RETURN), "换货申请不退款"),
        (request.refund_state != RefundState.PENDING, "包裹仍在途或已退款,不能直接退款"),
        (photos < rule.min_photos, f"照片不足 {rule.min_photos} 张"),
        (not _categories_allowed(session, request, rule), "商品类目不在照片直接退款范围内"),
        (request.refund_fen > limit, f"退款 {yuan(request.refund_fen)} 超过直接退款上限 {yuan(limit)}"),
    )
    for failed, reason in checks:
        if failed:
            return reason
    earlier = _earlier_requests(session, request, rule)
    if earlier >= rule.serial_max_requests:
        return f"买家近 {rule.serial_window_days} 天已有 {earlier} 次售后,需人工核实"
    return None


def _categories_allowed(session: Session, request: ReturnRequest, rule: PhotoRefundRule) -> bool:
    if not rule.sku_categories:
        return True
    if request.sku_id is not None:
        query = select(Sku.category).where(Sku.id == request.sku_id)
    else:
        codes = select(OrderItem.sku_code).where(OrderItem.order_id == request.order_id)
        query = select(Sku.category).where(Sku.shop_id == request.shop_id, Sku.code.in_(codes))
    categories = set(session.scalars(query))
    return bool(categories) and categories <= set(rule.sku_categories)


def _earlier_requests(session: Session, request: ReturnRequest, rule: PhotoRefundRule) -> int:
    if request.customer_id is None:
        return 0
    since = request.requested_at - timedelta(days=rule.serial_window_days)
    return repository.earlier_requests(
        session, customer_id=request.customer_id, since=since, exclude_id=request.id
    )


def _route_to_approval(session: Session, request: ReturnRequest, why_not: str) -> None:
    ticketing.note(
        session,
        request.ticket_id,
        actor_id=None,
        kind="returns.photo_refund",
        message=f"破损照片未能自动退款:{why_not}。已提交主管审批",
        data={"request_id": request.id},
    )
    ticketing.notify_supervisors(
        session,
        text=f"【照片退款待审批】售后单 #{request.id}(工单 #{request.ticket_id})"
        f"申请退款 {yuan(request.refund_fen)}:{why_not}",
        idempotency_key=f"returns:request:{request.id}:photo_refund_approval",
    )
