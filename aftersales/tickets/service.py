"""Ticket rules: creation (routing, VIP, SLA, shift), the status machine, timeline, rating, CC bots.

Plain functions taking a session and keyword-only arguments; they flush, never commit.
``open_system_ticket``, ``add_timeline_entry``, ``notify_group`` (``notify_groups``) and
``record_rating`` are the cross-domain contract (docs/contracts.md).
"""

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.events import publish
from aftersales.kit.time import format_local, utcnow
from aftersales.orders import customers
from aftersales.orders.models import Order, OrderItem
from aftersales.tickets import routing
from aftersales.tickets.config import snapshot
from aftersales.tickets.errors import (
    InvalidTransitionError,
    TicketNotFoundError,
    UnknownCategoryError,
)
from aftersales.tickets.events import TicketCreated, TicketResolved
from aftersales.tickets.groups import GroupNotice as GroupNotice
from aftersales.tickets.groups import ensure_default_groups as ensure_default_groups
from aftersales.tickets.groups import ensure_defaults as ensure_defaults
from aftersales.tickets.groups import group_by_code as group_by_code
from aftersales.tickets.groups import notify_group as notify_group
from aftersales.tickets.groups import notify_groups as notify_groups
from aftersales.tickets.models import (
    RANK_NORMAL,
    Severity,
    Ticket,
    TicketGroup,
    TicketStatus,
    TicketType,
    TimelineEntry,
)
from aftersales.tickets.shifts import service as shifts
from aftersales.tickets.sla import service as clock

S = TicketStatus
TRANSITIONS: dict[TicketStatus, frozenset[TicketStatus]] = {
    S.NEW: frozenset({S.IN_PROGRESS, S.WAITING_CUSTOMER, S.WAITING_INTERNAL, S.RESOLVED}),
    S.IN_PROGRESS: frozenset({S.WAITING_CUSTOMER, S.WAITING_INTERNAL, S.RESOLVED}),
    S.WAITING_CUSTOMER: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.WAITING_INTERNAL: frozenset({S.IN_PROGRESS, S.RESOLVED}),
    S.RESOLVED: frozenset({S.CLOSED, S.IN_PROGRESS}),
    S.CLOSED: frozenset({S.IN_PROGRESS}),
}
PRIORITY_BY_SEVERITY = {Severity.URGENT: 1, Severity.HIGH: 2, Severity.MEDIUM: 3, Severity.LOW: 4}
DEFAULT_GROUP = "aftersales"
VIP_GROUP = "vip"


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFoundError(ticket_id)
    return ticket


def check_taxonomy(session: Session, *, category: str, subcategory: str | None, detail: str | None) -> None:
    """Category, subcategory and detail must be active nodes of the taxonomy: every ticket, from
    an agent, the API or another domain (``open_system_ticket``), is filed where reports count it."""
    paths = [("category", category)]
    if subcategory:
        paths.append(("subcategory", f"{category}/{subcategory}"))
        if detail:
            paths.append(("detail", f"{category}/{subcategory}/{detail}"))
    known = snapshot.current(session).taxonomy
    for field, path in paths:
        if path not in known:
            raise UnknownCategoryError(field, path)


# ---- creation -------------------------------------------------------------------------------


def create_ticket(
    session: Session,
    *,
    shop_id: int | None = None,
    order_id: int | None = None,
    customer_id: int | None = None,
    type: TicketType | str,
    category: str,
    subcategory: str | None = None,
    detail: str | None = None,
    title: str,
    description: str = "",
    severity: Severity | str = Severity.MEDIUM,
    group_code: str | None = None,
    assignee_id: int | None = None,
    actor_id: int | None = None,
    source: str = "manual",
    source_key: str | None = None,
    data: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Ticket:
    """A new ticket with customer, VIP mark, routing, SLA deadlines and shift filled in.

    The order, when given, supplies the shop, customer, SKUs and amount that routing looks at.
    """
    now = now or utcnow()
    ticket_type, level = _enum(TicketType, type, "type"), _enum(Severity, severity, "severity")
    check_taxonomy(session, category=category, subcategory=subcategory, detail=detail)
    order = session.get(Order, order_id) if order_id is not None else None
    if order_id is not None and order is None:
        raise InvalidInputError("order_id", f"订单不存在: {order_id}")
    shop_id = order.shop_id if order else shop_id
    if shop_id is None or _platform_of(session, shop_id) is None:
        raise InvalidInputError("shop_id", "需要店铺(或订单)")
    customer_id = order.customer_id if order and customer_id is None else customer_id
    ticket = Ticket(
        shop_id=shop_id,
        order_id=order_id,
        customer_id=customer_id,
        type=ticket_type,
        category=category,
        subcategory=subcategory,
        detail=detail,
        title=title[:200],
        description=description,
        severity=level,
        priority=PRIORITY_BY_SEVERITY[level],
        status=TicketStatus.NEW,
        source=source,
        source_key=source_key,
        data=data or {},
        created_by_id=actor_id,
        amount_fen=order.paid_fen if order else None,
        is_vip=is_vip_customer(session, customer_id, now=now),
        created_at=now,
        updated_at=now,
    )
    skus = _order_sku_codes(session, order_id)
    ticket.sku_code = (data or {}).get("sku_code") or (sorted(skus)[0] if skus else None)
    cc = _route(session, ticket, skus, group_code=group_code, assignee_id=assignee_id)
    ticket.shift_id = shifts.shift_for(session, user_id=ticket.assignee_id, at=now)
    clock.start_sla(session, ticket, now=now)
    session.add(ticket)
    session.flush()
    _log_creation(session, ticket, actor_id, cc)
    for code in cc:
        notify_group(
            session,
            group_code=code,
            text=cc_text(session, ticket),
            idempotency_key=f"ticket:{ticket.id}:cc:{code}",
            subject=("ticket", ticket.id),
        )
    publish(session, TicketCreated(ticket_id=ticket.id))
    return ticket


def _enum(cls: Any, value: Any, field: str) -> Any:
    """Callers outside the API (system tickets) get a 422-style error naming the field, not a 500."""
    try:
        return cls(value)
    except ValueError:
        allowed = "/".join(m.value for m in cls)
        raise InvalidInputError(field, f"无效取值 {value!r}(可选 {allowed})") from None


def _order_sku_codes(session: Session, order_id: int | None) -> set[str]:
    if order_id is None:
        return set()
    query = select(OrderItem.sku_code).where(OrderItem.order_id == order_id, OrderItem.sku_code.is_not(None))
    return {code for code in session.scalars(query) if code}


def _platform_of(session: Session, shop_id: int) -> str | None:
    """From the cached configuration; a shop added outside the ORM is looked up directly."""
    platform = snapshot.current(session).platforms.get(shop_id)
    if platform is None and (shop := session.get(Shop, shop_id)) is not None:
        platform = str(shop.platform)
    return platform


def _route(
    session: Session, ticket: Ticket, skus: set[str], *, group_code: str | None, assignee_id: int | None
) -> list[str]:
    """Default group (VIP customers to the VIP group), then rules; explicit choices win. Returns CCs."""
    config = snapshot.current(session)
    facts = routing.Facts(
        shop_id=ticket.shop_id,
        platform=_platform_of(session, ticket.shop_id),
        type=str(ticket.type),
        category=ticket.category,
        subcategory=ticket.subcategory,
        severity=str(ticket.severity),
        sku_codes=frozenset(skus | ({ticket.sku_code} if ticket.sku_code else set())),
        amount_fen=ticket.amount_fen,
        vip=ticket.is_vip,
    )
    decision = routing.decide(config.rules, facts)
    code = group_code or decision.group_code or (VIP_GROUP if ticket.is_vip else DEFAULT_GROUP)
    ticket.group_id = config.group_ids.get(code) or group_by_code(session, code).id
    ticket.assignee_id = assignee_id or decision.assignee_id
    ticket.priority = decision.priority or ticket.priority
    if decision.matched_rule_ids:
        ticket.data = {**(ticket.data or {}), "routing_rules": decision.matched_rule_ids}
    return decision.cc_group_codes


def _log_creation(session: Session, ticket: Ticket, actor_id: int | None, cc: list[str]) -> None:
    note = f"创建工单({ticket.type.label} · {ticket.category}"
    note += f"/{ticket.subcategory})" if ticket.subcategory else ")"
    if ticket.is_vip:
        note += ",VIP客户"
    if cc:
        names = dict(
            session.execute(select(TicketGroup.code, TicketGroup.name).where(TicketGroup.code.in_(cc))).all()
        )
        note += ",已抄送 " + "、".join(names.get(code, code) for code in cc)
    add_timeline_entry(
        session,
        ticket_id=ticket.id,
        actor_id=actor_id,
        kind="created",
        message=note,
        data={"source": ticket.source, "group_id": ticket.group_id, "assignee_id": ticket.assignee_id},
        at=ticket.created_at,
    )


def open_system_ticket(
    session: Session,
    *,
    source: str,
    source_key: str,
    shop_id: int,
    order_id: int | None = None,
    customer_id: int | None = None,
    type: str,
    category: str,
    subcategory: str | None = None,
    title: str,
    description: str,
    severity: str = "medium",
    group_code: str | None = None,
    data: dict[str, Any] | None = None,
) -> tuple[Ticket, bool]:
    """Idempotent by ``(source, source_key)``: a repeat returns the existing ticket (bool False),
    noting a changed description on its timeline instead of opening a duplicate."""
    existing = session.scalar(select(Ticket).where(Ticket.source == source, Ticket.source_key == source_key))
    if existing is not None:
        if description and description != existing.description:
            add_timeline_entry(
                session,
                ticket_id=existing.id,
                actor_id=None,
                kind="system",
                message=f"{source} 更新: {description}",
                data={"old": existing.description, "new": description},
            )
            existing.description = description
            session.flush()
        return existing, False
    ticket = create_ticket(
        session,
        shop_id=shop_id,
        order_id=order_id,
        customer_id=customer_id,
        type=type,
        category=category,
        subcategory=subcategory,
        title=title,
        description=description,
        severity=severity,
        group_code=group_code,
        source=source,
        source_key=source_key,
        data=data,
    )
    return ticket, True


# ---- VIP ------------------------------------------------------------------------------------


def is_vip_customer(session: Session, customer_id: int | None, *, now: datetime | None = None) -> bool:
    """The customer's value by the shop's rule (orders.customers), never the ticket count."""
    return customers.is_vip(session, customer_id, now=now)


# ---- status machine -------------------------------------------------------------------------


def transition(
    session: Session,
    *,
    ticket_id: int,
    to: TicketStatus | str,
    actor_id: int | None,
    note: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Move along the status machine; anything else is refused with the two statuses named."""
    now = now or utcnow()
    ticket = get_ticket(session, ticket_id)
    target, current = TicketStatus(to), ticket.status
    if target not in TRANSITIONS[current]:
        raise InvalidTransitionError(current.label, target.label)
    if current == S.WAITING_CUSTOMER:
        clock.resume_clock(session, ticket, now)
    if current in (S.RESOLVED, S.CLOSED) and target == S.IN_PROGRESS:
        _reopen(session, ticket, now)
    ticket.status = target
    if actor_id is not None and ticket.first_responded_at is None:
        ticket.first_responded_at = now
    _enter(session, ticket, target, now)
    clock.refresh_next_deadline(ticket, clock.policy_of(session, ticket))
    ticket.updated_at = now
    message = f"状态:{current.label} → {target.label}" + (f"。{note}" if note else "")
    add_timeline_entry(
        session,
        ticket_id=ticket.id,
        actor_id=actor_id,
        kind="status",
        message=message,
        data={"old": str(current), "new": str(target), "note": note},
        at=now,
    )
    if target == S.RESOLVED:
        publish(session, TicketResolved(ticket_id=ticket.id))
    return ticket


def _enter(session: Session, ticket: Ticket, target: TicketStatus, now: datetime) -> None:
    if target == S.WAITING_CUSTOMER:
        clock.pause_clock(session, ticket, now)
    elif target == S.RESOLVED:
        ticket.resolved_at = now
        if ticket.resolution_due_at is not None and now > ticket.resolution_due_at:
            ticket.sla_breached = True
    elif target == S.CLOSED:
        ticket.closed_at = now


def _reopen(session: Session, ticket: Ticket, now: datetime) -> None:
    """A reopened ticket gets a fresh resolution clock."""
    ticket.reopened_count += 1
    ticket.resolved_at = ticket.closed_at = None
    policy = clock.policy_of(session, ticket)
    if policy is not None:
        clock.set_resolution_clock(ticket, policy, now)


# ---- timeline, comments, assignment ---------------------------------------------------------


def add_timeline_entry(
    session: Session,
    *,
    ticket_id: int,
    actor_id: int | None,
    kind: str,
    message: str,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TimelineEntry:
    """Append to the ticket's timeline (never edited afterwards). ``kind="note"`` is internal;
    ``at`` backdates an entry imported from elsewhere (default: now)."""
    entry = TimelineEntry(
        ticket_id=ticket_id,
        actor_id=actor_id,
        kind=kind[:24],
        message=message,
        is_internal=kind == "note",
        data=data or {},
        created_at=at or utcnow(),
    )
    session.add(entry)
    session.flush()
    return entry


def add_comment(
    session: Session,
    *,
    ticket_id: int,
    actor_id: int,
    text: str,
    internal: bool = False,
    now: datetime | None = None,
) -> TimelineEntry:
    """A reply to the customer (counts as the first response) or an internal note."""
    now = now or utcnow()
    ticket = get_ticket(session, ticket_id)
    if ticket.status == S.CLOSED:
        from aftersales.tickets.errors import TicketClosedError

        raise TicketClosedError()
    if not internal and ticket.first_responded_at is None:
        ticket.first_responded_at = now
        clock.refresh_next_deadline(ticket, clock.policy_of(session, ticket))
    if not internal and ticket.status == S.NEW:
        transition(session, ticket_id=ticket.id, to=S.IN_PROGRESS, actor_id=actor_id, now=now)
    if not internal and ticket.follow_up_at is not None and ticket.follow_up_at <= now:
        ticket.follow_up_at = ticket.follow_up_note = None
        ticket.queue_rank = RANK_NORMAL
    ticket.updated_at = now
    kind = "note" if internal else "comment"
    return add_timeline_entry(
        session, ticket_id=ticket.id, actor_id=actor_id, kind=kind, message=text, at=now
    )


def assign(
    session: Session,
    *,
    ticket_id: int,
    actor_id: int | None,
    assignee_id: int | None = None,
    group_code: str | None = None,
    now: datetime | None = None,
) -> Ticket:
    """Change assignee and/or group; the ticket follows the new assignee's shift."""
    now = now or utcnow()
    ticket = get_ticket(session, ticket_id)
    changes: dict[str, Any] = {}
    if group_code is not None:
        group = group_by_code(session, group_code)
        changes["group_id"] = [ticket.group_id, group.id]
        ticket.group_id = group.id
    if assignee_id is not None and assignee_id != ticket.assignee_id:
        changes["assignee_id"] = [ticket.assignee_id, assignee_id]
        ticket.assignee_id = assignee_id
        ticket.shift_id = shifts.shift_for(session, user_id=assignee_id, at=now) or ticket.shift_id
    if changes:
        ticket.updated_at = now
        add_timeline_entry(
            session,
            ticket_id=ticket.id,
            actor_id=actor_id,
            kind="assign",
            message=_assign_message(session, ticket),
            data=changes,
            at=now,
        )
    return ticket


def _assign_message(session: Session, ticket: Ticket) -> str:
    from aftersales.auth.models import User

    group = session.get(TicketGroup, ticket.group_id) if ticket.group_id else None
    user = session.get(User, ticket.assignee_id) if ticket.assignee_id else None
    return f"分派给 {group.name if group else '-'} / {user.display_name if user else '未指定'}"


def update_fields(session: Session, *, ticket_id: int, actor_id: int, **changes: Any) -> Ticket:
    """Edit category, severity, priority, title…; each change is recorded old → new. A new
    category or subcategory must be in the taxonomy (with the detail, when one is given)."""
    ticket = get_ticket(session, ticket_id)
    if "category" in changes or "subcategory" in changes:
        check_taxonomy(
            session,
            category=changes.get("category") or ticket.category,
            subcategory=changes.get("subcategory", ticket.subcategory),
            detail=changes.get("detail"),
        )
    diff = {}
    for name, value in changes.items():
        if value is None or getattr(ticket, name) == value:
            continue
        diff[name] = [str(getattr(ticket, name)), str(value)]
        setattr(ticket, name, value)
    if diff:
        ticket.updated_at = utcnow()
        message = "修改:" + ",".join(f"{k} {old} → {new}" for k, (old, new) in diff.items())
        add_timeline_entry(
            session, ticket_id=ticket.id, actor_id=actor_id, kind="field", message=message, data=diff
        )
    return ticket


def schedule_follow_up(
    session: Session, *, ticket_id: int, actor_id: int, at: datetime, note: str | None = None
) -> Ticket:
    """隔日跟进: at ``at`` the job ``tickets.follow_up_due`` brings the ticket back to the top of
    the queue and notes it for the assignee; a reply after that clears it."""
    ticket = get_ticket(session, ticket_id)
    ticket.follow_up_at = at
    ticket.follow_up_note = (note or "")[:200] or None
    ticket.queue_rank = RANK_NORMAL  # the job raises it again when the new time comes
    add_timeline_entry(
        session,
        ticket_id=ticket.id,
        actor_id=actor_id,
        kind="follow_up",
        message=f"预约跟进 {format_local(at)}" + (f":{note}" if note else ""),
        data={"at": at.isoformat()},
    )
    return ticket


# ---- rating ---------------------------------------------------------------------------------


def record_rating(session: Session, *, ticket_id: int, stars: int, comment: str | None = None) -> Ticket:
    """The customer's 1-5 rating; a later rating replaces the earlier one, both stay on the timeline."""
    if not 1 <= stars <= 5:
        raise InvalidInputError("stars", "评分应为 1-5")
    ticket = get_ticket(session, ticket_id)
    ticket.rating_stars = stars
    ticket.rating_comment = comment
    ticket.rated_at = utcnow()
    add_timeline_entry(
        session,
        ticket_id=ticket.id,
        actor_id=None,
        kind="rating",
        message=f"客户评价 {'★' * stars}{'☆' * (5 - stars)}" + (f":{comment}" if comment else ""),
        data={"stars": stars, "comment": comment},
    )
    return ticket


def cc_text(session: Session, ticket: Ticket) -> str:
    order = session.get(Order, ticket.order_id) if ticket.order_id else None
    lines = [
        f"【工单 #{ticket.id}】{ticket.title}",
        f"类型:{ticket.type.label} 分类:{ticket.category}"
        + (f"/{ticket.subcategory}" if ticket.subcategory else ""),
        f"紧急程度:{ticket.severity.label}" + (" · VIP客户" if ticket.is_vip else ""),
    ]
    if order is not None:
        lines.append(f"订单:{order.source_id}")
    if ticket.description:
        lines.append(ticket.description[:300])
    return "\n".join(lines)
