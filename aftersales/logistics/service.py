"""Logistics follow-up: scanning parcels for anomalies and acting on what the scan found.

The scan (``scan``) only writes findings; ``follow_up`` turns new findings into one ticket each
(idempotent by ``anomaly:<shipment_id>:<kind>``) and, where the rule says so, a proactive message
to the buyer through the outbox. Both are plain functions taking a session; they flush, the job
or request around them commits.
"""

from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from aftersales.jobs.shards import WHOLE, IdRange
from aftersales.kit.errors import InvalidInputError, NotFoundError
from aftersales.kit.time import format_local, utcnow
from aftersales.logistics import incremental, regions
from aftersales.logistics.models import ANY_COURIER, Anomaly, AnomalyKind, AnomalyRule, AnomalyStatus
from aftersales.logistics.rules import effective_rules, save_rule
from aftersales.logistics.scan import id_span, run_scan, take_marks
from aftersales.messaging.service import CustomerSend, send_customer_messages
from aftersales.messaging.templates import MessageTemplate, get_template
from aftersales.orders.couriers import COURIERS, courier_name
from aftersales.orders.models import Order, Shipment
from aftersales.tickets.models import Severity, Ticket
from aftersales.tickets.service import add_timeline_entry, notify_group, open_system_ticket

SCAN_HORIZON = timedelta(days=20)
FOLLOW_UP_BATCH = 500

# Ticket taxonomy (seed 004): 物流问题 / <subcategory>.
SUBCATEGORIES = {
    AnomalyKind.NO_FIRST_SCAN: "物流停滞",
    AnomalyKind.NO_UPDATE: "物流停滞",
    AnomalyKind.STUCK_AT_HUB: "物流停滞",
    AnomalyKind.DELIVERY_FAILED: "派送异常",
    AnomalyKind.RETURNED: "退回",
    AnomalyKind.LATE: "物流延迟",
    AnomalyKind.RESTRICTED_REGION: "派送异常",
    AnomalyKind.SPLIT_LAGGING: "物流延迟",
}
# A parcel coming back or failing at the door is what buyers complain about; the rest is a
# proactive consultation the team opens before the buyer writes.
COMPLAINT_KINDS = {AnomalyKind.DELIVERY_FAILED, AnomalyKind.RETURNED}
HIGH_SEVERITY = {AnomalyKind.RETURNED, AnomalyKind.RESTRICTED_REGION}


def scan(
    session: Session, *, now: datetime | None = None, window: timedelta = SCAN_HORIZON
) -> dict[str, int]:
    """Full sweep: every rule over every parcel shipped within ``window``, flag restricted-region
    orders, and record the run as the watermark the next incremental scan starts from."""
    now = now or utcnow()
    config = incremental.config_hash(session, now=now)
    take_marks(session, shipped_since=now - window)
    counts = run_scan(session, now=now, shipped_since=now - window)
    counts["region_holds"] = flag_all_orders(session, now=now)
    incremental.record_run(session, mode=incremental.FULL, now=now, window=window, config=config)
    return counts


def periodic_scan(
    session: Session, *, now: datetime | None = None, window: timedelta = SCAN_HORIZON
) -> dict[str, int]:
    """What the every-few-minutes job runs: the incremental scan (the parcels whose tracking,
    shipment or order changed since the last scan, and those whose times crossed a threshold
    since), or a full sweep when there is no previous scan to start from or the rules or active
    regions changed since (see ``logistics.incremental``)."""
    now = now or utcnow()
    previous = incremental.last_run(session, window=window)
    config = incremental.config_hash(session, now=now)
    if previous is None or previous.config != config or previous.scanned_until > now:
        counts = scan(session, now=now, window=window)
        counts["incremental"] = 0
        return counts
    counts = incremental.run_incremental_scan(
        session, now=now, prev=previous.scanned_until, shipped_since=now - window
    )
    changed_orders = incremental.take_order_marks(session)
    counts["region_holds"] = regions.flag_orders(session, now=now, order_ids=changed_orders)
    incremental.record_run(
        session,
        mode=incremental.INCREMENTAL,
        now=now,
        window=window,
        config=config,
        parcels=counts["parcels"],
    )
    counts["incremental"] = 1
    return counts


def flag_all_orders(session: Session, *, now: datetime) -> int:
    """Restricted-region holds over every recent order (the order marks are then spent)."""
    incremental.clear_order_marks(session)
    return regions.flag_orders(session, now=now)


def scan_shard(
    session: Session, *, now: datetime, ids: IdRange, window: timedelta = SCAN_HORIZON
) -> dict[str, int]:
    """Every rule over one shard's parcels; region holds are the fan-out's (they go by order)."""
    return run_scan(session, now=now, shipped_since=now - window, ids=ids)


def scan_span(session: Session, *, now: datetime, window: timedelta = SCAN_HORIZON) -> tuple[int, int]:
    """First and last parcel id in scope: the span a fan-out splits into shards."""
    return id_span(session, shipped_since=now - window)


def daily_sweep(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Seed 003's practice (the team checks the last 3 days' parcels daily): a full sweep of every
    parcel in the scan horizon (which holds those 3 days) — the periodic scans in between are
    incremental, this reconciles them with a complete evaluation — then a digest to the
    logistics group."""
    now = now or utcnow()
    counts = scan(session, now=now, window=SCAN_HORIZON)
    send_digest(session, now=now)
    return counts


def send_digest(session: Session, *, now: datetime) -> None:
    """The day's open findings per kind to the logistics group, once a day."""
    open_counts = open_by_kind(session)
    if open_counts:
        lines = [f"{AnomalyKind(k).label}: {n} 件" for k, n in sorted(open_counts.items())]
        notify_group(
            session,
            group_code="logistics",
            text=f"物流巡检 {format_local(now, '%m-%d')}: 未处理异常 {sum(open_counts.values())} 件\n"
            + "\n".join(lines),
            idempotency_key=f"logistics:sweep:{now.date().isoformat()}",
        )


def open_by_kind(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(Anomaly.kind, func.count()).where(Anomaly.status == AnomalyStatus.OPEN).group_by(Anomaly.kind)
    )
    return {str(AnomalyKind(kind).value): int(n) for kind, n in rows}


def _description(anomaly: Anomaly, shipment: Shipment) -> str:
    parcel = f"{courier_name(shipment.courier)} {shipment.tracking_no}"
    since = format_local(anomaly.observed_at)
    where = f",最后位置: {shipment.last_location}" if shipment.last_location else ""
    texts = {
        AnomalyKind.NO_FIRST_SCAN: f"包裹 {parcel} 于 {since} 发货后仍未揽收",
        AnomalyKind.NO_UPDATE: f"包裹 {parcel} 自 {since} 起物流无更新{where}",
        AnomalyKind.STUCK_AT_HUB: f"包裹 {parcel} 自 {since} 起滞留在 {shipment.last_location}",
        AnomalyKind.DELIVERY_FAILED: f"包裹 {parcel} 于 {since} 派送失败{where}",
        AnomalyKind.RETURNED: f"包裹 {parcel} 于 {since} 被退回",
        AnomalyKind.LATE: f"包裹 {parcel} 已超过承诺/预计送达时间 {since} 仍未签收{where}",
        AnomalyKind.RESTRICTED_REGION: f"包裹 {parcel} 的收货地区目前停发(自 {since} 起)",
        AnomalyKind.SPLIT_LAGGING: f"拆单包裹 {parcel} 在同单其他包裹 {since} 签收后仍未送达{where}",
    }
    return texts[AnomalyKind(anomaly.kind)]


def _open_ticket(session: Session, anomaly: Anomaly, shipment: Shipment, order: Order, now: datetime) -> int:
    """One ticket per parcel, whatever its findings: a stuck parcel is one problem (no update,
    stuck at a hub, late, split lagging used to open a ticket each). A later finding is added to
    the ticket's list of findings (kind, text, first seen) and to its timeline."""
    kind = AnomalyKind(anomaly.kind)
    finding = _finding(anomaly, shipment, now)
    ticket, created = open_system_ticket(
        session,
        source="logistics",
        source_key=f"anomaly:{anomaly.shipment_id}",
        shop_id=order.shop_id,
        order_id=order.id,
        customer_id=order.customer_id,
        type="complaint" if kind in COMPLAINT_KINDS else "consultation",
        category="物流问题",
        subcategory=SUBCATEGORIES[kind],
        title=f"物流跟单: {kind.label} {shipment.tracking_no}",
        description=finding["text"],
        severity="high" if kind in HIGH_SEVERITY else "medium",
        group_code="logistics",
        data={"shipment_id": shipment.id, "findings": [finding]},
    )
    if not created:
        findings = [f for f in ticket.data.get("findings", []) if f.get("anomaly_id") != anomaly.id]
        ticket.data = {**ticket.data, "shipment_id": shipment.id, "findings": [*findings, finding]}
        if kind in HIGH_SEVERITY and ticket.severity in (Severity.LOW, Severity.MEDIUM):
            ticket.severity = Severity.HIGH
    return ticket.id


def _finding(anomaly: Anomaly, shipment: Shipment, now: datetime) -> dict[str, Any]:
    return {
        "anomaly_id": anomaly.id,
        "kind": AnomalyKind(anomaly.kind).value,
        "label": AnomalyKind(anomaly.kind).label,
        "text": _description(anomaly, shipment),
        "seen_at": (anomaly.first_seen_at or now).isoformat(),
        "resolved_at": None,
    }


def _note_resolved(session: Session, *, now: datetime, ids: IdRange, limit: int) -> int:
    """Findings the scan resolved after their ticket was opened (it clears ``followed_up_at``) are
    marked resolved on the ticket, with a timeline line: the agent sees which of the parcel's
    problems are over."""
    resolved = session.scalars(
        select(Anomaly)
        .where(
            Anomaly.status == AnomalyStatus.RESOLVED,
            Anomaly.followed_up_at.is_(None),
            Anomaly.ticket_id.is_not(None),
            ids.clause(Anomaly.shipment_id),
        )
        .order_by(Anomaly.id)
        .limit(limit)
    ).all()
    for anomaly in resolved:
        ticket = session.get(Ticket, anomaly.ticket_id)
        anomaly.followed_up_at = now
        if ticket is None:
            continue
        at = (anomaly.resolved_at or now).isoformat()
        findings = [
            {**f, "resolved_at": at} if f.get("anomaly_id") == anomaly.id else f
            for f in ticket.data.get("findings", [])
        ]
        ticket.data = {**ticket.data, "findings": findings}
        add_timeline_entry(
            session,
            ticket_id=ticket.id,
            actor_id=None,
            kind="system",
            message=f"物流异常已恢复: {AnomalyKind(anomaly.kind).label}",
            data={"anomaly_id": anomaly.id},
        )
    return len(resolved)


def _message_extra(anomaly: Anomaly, now: datetime) -> dict[str, Any]:
    if anomaly.kind == AnomalyKind.LATE and anomaly.observed_at is not None:
        return {"delay_days": max(1, (now - anomaly.observed_at).days + 1)}
    return {}


def follow_up(
    session: Session, *, now: datetime | None = None, limit: int = FOLLOW_UP_BATCH, ids: IdRange = WHOLE
) -> dict[str, int]:
    """Open (or update) the ticket of each new finding and queue the buyer notices the rules ask for.

    ``ids``: only the findings of one shard's parcels, so the follow-ups of shards running side by
    side never take the same finding."""
    now = now or utcnow()
    pending = session.execute(
        select(Anomaly, Shipment, Order)
        .join(Shipment, Shipment.id == Anomaly.shipment_id)
        .join(Order, Order.id == Anomaly.order_id)
        .where(
            Anomaly.status == AnomalyStatus.OPEN,
            Anomaly.followed_up_at.is_(None),
            ids.clause(Anomaly.shipment_id),
        )
        .order_by(Anomaly.id)
        .limit(limit)
    ).all()
    rules = effective_rules(session)
    templates = set(session.scalars(select(MessageTemplate.code).where(MessageTemplate.is_active.is_(True))))
    sends: dict[str, list[CustomerSend]] = {}
    for anomaly, shipment, order in pending:
        anomaly.ticket_id = _open_ticket(session, anomaly, shipment, order, now)
        anomaly.followed_up_at = now
        setting = rules[AnomalyKind(anomaly.kind)].for_courier(shipment.courier)
        if setting.notify_customer and setting.template_code in templates and not anomaly.message_queued:
            assert setting.template_code is not None
            send = _notice(session, anomaly, shipment, order, now)
            if send is not None:
                sends.setdefault(setting.template_code, []).append(send)
            anomaly.message_queued = True
    messages = sum(send_customer_messages(session, template_code=code, sends=s) for code, s in sends.items())
    resolved = _note_resolved(session, now=now, ids=ids, limit=limit)
    session.flush()
    return {"followed_up": len(pending), "messages": messages, "resolved": resolved}


def _notice(
    session: Session, anomaly: Anomaly, shipment: Shipment, order: Order, now: datetime
) -> CustomerSend | None:
    """The buyer's notice about this finding, naming its parcel. A restricted region's notice is
    the region hold's notice (same key and variables): one message whichever path is first; none
    when no restriction covers the address any more."""
    kind = AnomalyKind(anomaly.kind)
    if kind == AnomalyKind.RESTRICTED_REGION:
        region = regions.region_for(session, order=order, courier=shipment.courier, now=now)
        if region is None:
            return None
        regions.mark_notified(session, order_id=order.id, region_id=region.id, now=now)
        return regions.region_notice(order.id, region, parcel_id=shipment.id, finding_id=anomaly.id)
    return CustomerSend(
        order.id,
        f"logistics:anomaly:{anomaly.shipment_id}:{anomaly.kind}",
        extra=_message_extra(anomaly, now),
        parcel_id=shipment.id,
        why={"rule": kind.label, "finding": _description(anomaly, shipment), "finding_id": anomaly.id},
    )


def list_anomalies(
    *,
    status: AnomalyStatus | None = AnomalyStatus.OPEN,
    kind: AnomalyKind | None = None,
    courier: str | None = None,
    number: str | None = None,
) -> Select[Anomaly, Shipment, Order]:
    """Newest findings first, with their parcel and order (for the API and the console); ``number``
    is an order or tracking number an agent pasted."""
    query = (
        select(Anomaly, Shipment, Order)
        .join(Shipment, Shipment.id == Anomaly.shipment_id)
        .join(Order, Order.id == Anomaly.order_id)
        .order_by(Anomaly.last_seen_at.desc(), Anomaly.id.desc())
    )
    if status is not None:
        query = query.where(Anomaly.status == status)
    if kind is not None:
        query = query.where(Anomaly.kind == kind)
    if courier:
        query = query.where(Anomaly.courier == courier)
    if number:
        query = query.where(or_(Order.source_id == number.strip(), Shipment.tracking_no == number.strip()))
    return query


def counts_by_kind_and_status(session: Session) -> Counter[tuple[str, str]]:
    rows = session.execute(
        select(Anomaly.kind, Anomaly.status, func.count()).group_by(Anomaly.kind, Anomaly.status)
    )
    return Counter({(str(k), str(s)): int(n) for k, s, n in rows})


def get_anomaly(session: Session, anomaly_id: int) -> Anomaly:
    anomaly = session.get(Anomaly, anomaly_id)
    if anomaly is None:
        raise NotFoundError(f"物流异常不存在: {anomaly_id}")
    return anomaly


def resolve_anomaly(session: Session, *, anomaly_id: int, now: datetime | None = None) -> Anomaly:
    """An agent closed it by hand; a later scan reopens it only if the parcel is still stuck then."""
    anomaly = get_anomaly(session, anomaly_id)
    anomaly.status, anomaly.resolved_at = AnomalyStatus.RESOLVED, now or utcnow()
    incremental.mark_parcels(session, [anomaly.shipment_id], with_siblings=False)
    session.flush()
    return anomaly


def update_rule(
    session: Session,
    *,
    kind: AnomalyKind,
    courier: str = ANY_COURIER,
    threshold_hours: int,
    enabled: bool = True,
    notify_customer: bool = False,
    template_code: str | None = None,
) -> AnomalyRule:
    """Save one rule's threshold; the courier and the message template must exist."""
    if courier != ANY_COURIER and courier not in COURIERS:
        raise InvalidInputError("courier", f"未知快递公司: {courier}")
    if threshold_hours < 0 or threshold_hours > 24 * 30:
        raise InvalidInputError("threshold_hours", "阈值应在 0 到 720 小时之间")
    if notify_customer and not template_code:
        raise InvalidInputError("template_code", "通知买家时必须选择消息模板")
    if template_code:
        get_template(session, template_code)
    return save_rule(
        session,
        kind=kind,
        courier=courier,
        threshold_hours=threshold_hours,
        enabled=enabled,
        notify_customer=notify_customer,
        template_code=template_code,
    )
