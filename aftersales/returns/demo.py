"""Demo returns for the promotion: requests (some on parcels still travelling, so interception
shows), retention outcomes, payouts within authority, approvals (one left waiting), early refunds
on pickup scans, reshipments pushed to an ERP (some already back-filled) and a window extension.

Every draw comes from ``ctx.rng("returns")``; everything goes through the services.
"""

import random
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.auth.service import create_user
from aftersales.catalog.models import Shop
from aftersales.demo.context import DemoContext
from aftersales.demo.users import DEMO_USERS
from aftersales.logistics.demo import play_intercepts
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.orders.models import Order, Shipment, TrackingStatus
from aftersales.orders.schemas import TrackingEventIn
from aftersales.orders.service import ingest_tracking_events
from aftersales.returns import aftercare_demo, payouts, refunds, reshipments, service
from aftersales.returns.errors import BeyondAuthorityError, CustomerCapError
from aftersales.returns.models import OfferKind, RequestKind, RequestStatus, ReturnRequest
from aftersales.returns.schemas import ErpCallbackIn, ReshipItem, ReshipmentIn, ReturnRequestIn

SHARE = 0.03
MAX_REQUESTS = 220
IN_TRANSIT_REQUESTS = 16  # refunds on parcels still travelling: logistics intercepts them
REFUND_AGES_HOURS = ((0.04, 0.08), (2.0, 12.0), (100.0, 140.0))
# reason code -> (weight, kinds to draw from)
REASON_MIX: dict[str, tuple[int, tuple[RequestKind, ...]]] = {
    "not_fit": (22, (RequestKind.RETURN, RequestKind.EXCHANGE)),
    "not_expected": (14, (RequestKind.RETURN,)),
    "usage_trouble": (8, (RequestKind.RETURN,)),
    "no_reason": (12, (RequestKind.RETURN,)),
    "changed_mind": (8, (RequestKind.REFUND_ONLY, RequestKind.RETURN)),
    "damaged": (8, (RequestKind.RETURN, RequestKind.EXCHANGE)),
    "defective": (8, (RequestKind.EXCHANGE, RequestKind.RETURN)),
    "flaw": (6, (RequestKind.RETURN,)),
    "missing_item": (6, (RequestKind.REFUND_ONLY,)),
    "wrong_item": (4, (RequestKind.EXCHANGE,)),
    "not_as_described": (4, (RequestKind.RETURN,)),
}

DEMO_ERP_URL = "http://127.0.0.1:9/erp/push"  # the story's ERP; see _disconnect_the_demo_erp


def _users(session: Session) -> tuple[list[User], User]:
    """The demo log-ins (created here when missing, so payouts have real agents)."""
    existing = {u.username: u for u in session.scalars(select(User))}
    for username, (password, role, name) in DEMO_USERS.items():
        if username not in existing:
            existing[username] = create_user(
                session, username=username, display_name=name, role=role, password=password
            )
    agents = [u for u in existing.values() if u.role == Role.AGENT and u.username in DEMO_USERS]
    lead = next(u for u in existing.values() if u.role == Role.SUPERVISOR and u.username in DEMO_USERS)
    return sorted(agents, key=lambda u: u.username), lead


def extend(session: Session, ctx: DemoContext) -> None:
    """Runs once per seed: a second ``aftersales demo`` on the same database leaves returns as they are."""
    prefix = f"RF{ctx.config.seed:02d}"
    if session.scalar(select(ReturnRequest.id).where(ReturnRequest.source_id.like(f"{prefix}%")).limit(1)):
        return
    rng = ctx.rng("returns")
    agents, lead = _users(session)
    for shop in ctx.shops.values():
        service.save_policy(
            session, shop_id=shop.id, values={"erp_url": DEMO_ERP_URL, "erp_format": "generic"}
        )
    shops = {shop.id: shop for shop in ctx.shops.values()}
    parcels = _parcels_by_order(session)
    candidates = [oid for oid in ctx.order_ids if oid in parcels]
    travelling = [oid for oid in candidates if _in_transit(parcels[oid])]
    chosen = set(rng.sample(candidates, k=min(MAX_REQUESTS, int(len(candidates) * SHARE) + 1)))
    chosen |= set(rng.sample(travelling, k=min(IN_TRANSIT_REQUESTS, len(travelling))))
    requests = []
    orders = {o.id: o for o in session.scalars(select(Order).where(Order.id.in_(chosen)))}
    for number, order_id in enumerate(sorted(chosen)):
        order = orders[order_id]
        request = _request(session, rng, ctx, order, parcels[order_id], shops[order.shop_id].code, number)
        if request is not None:
            requests.append(request)
    counts = _work(session, rng, requests, agents, lead, ctx)
    counts["intercepts"] = play_intercepts(session, ctx)
    _disconnect_the_demo_erp(session, list(ctx.shops.values()))
    counts["appeals"] = aftercare_demo.extend(session, list(ctx.shops.values()), agents[0])
    ctx.summary["returns"] = {"requests": len(requests), **counts}


def _disconnect_the_demo_erp(session: Session, shops: list[Shop]) -> None:
    """In the story the shops' ERP took every reshipment push (so they are delivered as queued); no
    ERP listens once the demo is served, so the shops are left without one: nothing posts to an
    address where nothing answers, and a new reshipment says in Chinese that the ERP is not set up."""
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.destination == DEMO_ERP_URL, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENT, sent_at=OutboxMessage.created_at)
    )
    for shop in shops:
        service.save_policy(session, shop_id=shop.id, values={"erp_url": None})


def _parcels_by_order(session: Session) -> dict[int, list[Shipment]]:
    found: dict[int, list[Shipment]] = {}
    for parcel in session.scalars(select(Shipment).where(Shipment.is_reshipment.is_(False))):
        found.setdefault(parcel.order_id, []).append(parcel)
    return found


def _in_transit(parcels: list[Shipment]) -> bool:
    """Every parcel still on its way: the refund request is what logistics tries to intercept."""
    return all(p.delivered_at is None and p.status != TrackingStatus.DELIVERED for p in parcels)


def _request(
    session: Session,
    rng: random.Random,
    ctx: DemoContext,
    order: Order,
    parcels: list[Shipment],
    shop: str,
    n: int,
) -> ReturnRequest | None:
    if _in_transit(parcels):
        code, kind = "changed_mind", RequestKind.REFUND_ONLY
        requested_at = _refund_in_transit_at(rng, ctx, max(p.shipped_at for p in parcels), n)
    else:
        code = rng.choices(list(REASON_MIX), weights=[w for w, _ in REASON_MIX.values()])[0]
        kind = rng.choice(REASON_MIX[code][1])
        base = max(p.delivered_at or p.shipped_at for p in parcels)
        requested_at = min(
            base + timedelta(hours=rng.uniform(2, 96)), ctx.config.as_of - timedelta(minutes=5)
        )
    line = _first_line(session, order.id)
    data = ReturnRequestIn(
        shop_code=shop,
        order_no=order.source_id,
        request_no=f"RF{ctx.config.seed:02d}{n:06d}",
        kind=kind,
        reason_code=code,
        sku_code=line,
        requested_at=requested_at,
        channel=rng.choice(("api", "api", "webhook", "csv", "console")),
    )
    return service.create_request(session, data=data)


def _refund_in_transit_at(rng: random.Random, ctx: DemoContext, shipped_at: datetime, n: int) -> datetime:
    """Hours before the as-of time, cycling through the ages that put an intercept in each state on
    the demo clock: minutes (not yet sent to the courier), hours (accepted, parcel on its way back),
    days (returned, or delivered anyway)."""
    low, high = REFUND_AGES_HOURS[n % len(REFUND_AGES_HOURS)]
    at = ctx.config.as_of - timedelta(hours=rng.uniform(low, high))
    return min(max(at, shipped_at + timedelta(hours=1)), ctx.config.as_of - timedelta(minutes=2))


def _first_line(session: Session, order_id: int) -> str | None:
    from aftersales.orders.models import OrderItem

    return session.scalar(
        select(OrderItem.sku_code).where(OrderItem.order_id == order_id).order_by(OrderItem.line_no).limit(1)
    )


def _work(
    session: Session,
    rng: random.Random,
    requests: list[ReturnRequest],
    agents: list[User],
    lead: User,
    ctx: DemoContext,
) -> dict[str, int]:
    counts = {"retained": 0, "compensations": 0, "approvals_waiting": 0, "early_refunds": 0, "reshipments": 0}
    waiting_left = 1
    for index, request in enumerate(requests):
        agent = agents[index % len(agents)]
        if request.status == RequestStatus.RETAINING:
            counts["retained"] += _retain(session, rng, request, agent)
        elif request.is_quality and request.reason_code in ("damaged", "flaw", "defective"):
            kept = _compensate(session, rng, request, agent, lead, approve=waiting_left == 0)
            counts["compensations"] += kept == "paid"
            if kept == "waiting":
                waiting_left -= 1
                counts["approvals_waiting"] += 1
        elif request.reason_code == "missing_item":
            counts["reshipments"] += _reship(session, rng, request, agent, ctx)
        if request.kind == RequestKind.RETURN and request.status == RequestStatus.OPEN and rng.random() < 0.5:
            counts["early_refunds"] += _early_refund(session, request, agent, ctx.config.as_of)
    if requests:
        payouts.extend_window(
            session,
            order_id=requests[0].order_id,
            days=5,
            reason="客户出差,回来后才验货",
            actor=agents[0],
            request_id=requests[0].id,
        )
    return counts


def _retain(session: Session, rng: random.Random, request: ReturnRequest, agent: User) -> int:
    offers = service.retention_offers(session, request_id=request.id)
    if not offers:
        return 0
    service.record_offers(session, request_id=request.id, kinds=[o.kind for o in offers], actor=agent)
    if rng.random() < 0.15:
        return 0  # still waiting for the customer's answer
    weights = {
        OfferKind.EXCHANGE_FREE_SHIPPING: 35,
        OfferKind.PARTIAL_COMPENSATION: 25,
        OfferKind.REMOTE_GUIDANCE: 12,
    }
    options: list[OfferKind | None] = [o.kind for o in offers] + [None]
    choice = rng.choices(options, weights=[weights[o.kind] for o in offers] + [30])[0]
    service.record_choice(session, request_id=request.id, accepted=choice, actor=agent)
    return choice is not None


def _compensate(
    session: Session, rng: random.Random, request: ReturnRequest, agent: User, lead: User, *, approve: bool
) -> str:
    order = session.get(Order, request.order_id)
    assert order is not None
    amount = max(100, order.paid_fen * rng.choice((10, 20, 30, 50, 80)) // 100)
    try:
        payouts.pay_compensation(
            session,
            order_id=order.id,
            amount_fen=amount,
            reason_code=request.reason_code,
            actor=agent,
            request_id=request.id,
            note="质量问题,补偿留用",
        )
        return "paid"
    except (BeyondAuthorityError, CustomerCapError):
        approval = payouts.request_approval(
            session,
            order_id=order.id,
            amount_fen=min(amount, order.paid_fen),
            reason_code=request.reason_code,
            note="质量问题造成较大损失,申请超权限补偿",
            actor=agent,
            request_id=request.id,
        )
        if not approve:
            return "waiting"
        payouts.decide_approval(
            session, approval_id=approval.id, approve=True, actor=lead, note="同意,同步产品部"
        )
        return "paid"


def _reship(
    session: Session, rng: random.Random, request: ReturnRequest, agent: User, ctx: DemoContext
) -> int:
    line = _first_line(session, request.order_id)
    reshipment = reshipments.create_reshipment(
        session,
        data=ReshipmentIn(
            order_id=request.order_id,
            request_id=request.id,
            items=[ReshipItem(sku_code=line, title=line or "漏发配件", quantity=1)],
            reason="客户反馈漏发,核实后补发",
        ),
        actor_id=agent.id,
    )
    if rng.random() < 0.6:
        shipped = min(request.requested_at + timedelta(hours=rng.uniform(4, 30)), ctx.config.as_of)
        reshipments.erp_callback(
            session,
            data=ErpCallbackIn(
                out_order_no=f"RS{reshipment.id}",
                courier="sf",
                tracking_no=f"SF{7_000_000_000 + reshipment.id}",
                shipped_at=shipped,
            ),
        )
    return 1


def _early_refund(session: Session, request: ReturnRequest, agent: User, as_of: datetime) -> int:
    order = session.get(Order, request.order_id)
    assert order is not None
    if order.paid_fen > service.get_policy(session, order.shop_id).early_refund_max_fen:
        return 0
    tracking = f"YT{9_000_000_000 + request.id}"
    refunds.attach_return_parcel(
        session, request_id=request.id, courier="yto", tracking_no=tracking, shipped_at=request.requested_at
    )
    scanned = min(request.requested_at + timedelta(hours=3), as_of)
    ingest_tracking_events(
        session,
        [
            TrackingEventIn(
                courier="yto",
                tracking_no=tracking,
                occurred_at=scanned,
                raw_text="【上门取件】快递员已揽收",
                status=TrackingStatus.COLLECTED,
            )
        ],
    )
    payouts.early_refund(session, request_id=request.id, actor=agent)
    return 1
