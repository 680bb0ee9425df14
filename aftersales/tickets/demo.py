"""Demo tickets for the promotion: consultations, complaints, returns and exchanges with seed 004's
categories, worked by the morning/middle/evening roster (agent1 早, agent2 中, agent3 晚; lead is
the supervisor). Older tickets are mostly resolved (some late, some rated); recent ones are open,
a few already breached, some waiting for the customer, some scheduled for next-day follow-up,
some raised to departments; the last shift ends leave handoffs for the next shift.

Every draw comes from ``ctx.rng("tickets")``; everything goes through the services with the
simulated time, so timelines and SLA clocks read like a real fortnight.
"""

import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.auth.service import create_user
from aftersales.demo.context import DemoContext
from aftersales.demo.users import DEMO_USERS
from aftersales.orders.models import Order
from aftersales.tickets import feedback, service
from aftersales.tickets.models import RoutingRule, Shift, Ticket, TicketStatus, TimelineEntry
from aftersales.tickets.shifts import handoff as handoffs
from aftersales.tickets.shifts import repository as shift_repository
from aftersales.tickets.shifts import service as shifts
from aftersales.tickets.sla.service import start_sla

SHARE = 0.035
MAX_TICKETS = 240
SETTLE_MARGIN = timedelta(minutes=5)  # a settled ticket is at least this much older than the as-of time
ROSTER = {"agent1": "morning", "agent2": "middle", "agent3": "evening"}

# (weight, type, category, subcategory, detail, title, severity)
MIX: list[tuple[int, str, str, str | None, str | None, str, str]] = [
    (14, "consultation", "其他", "其他", None, "咨询发货时间和尺码", "low"),
    (8, "consultation", "物流问题", "物流延迟", None, "催发货/催物流", "medium"),
    (5, "consultation", "物流问题", "物流停滞", None, "物流多日未更新", "medium"),
    (9, "return", "商品问题", "主观不满意", "不合适", "尺码不合适申请退货", "medium"),
    (6, "return", "商品问题", "质量问题", "破损", "收到商品破损", "high"),
    (5, "exchange", "商品问题", "描述不符", "尺寸", "尺寸与详情页不符要求换货", "medium"),
    (4, "exchange", "商品问题", "质量问题", "功能故障", "功能故障申请换货", "high"),
    (4, "reshipment", "商品问题", "错发漏发", "漏发", "少发配件要求补发", "high"),
    (3, "reshipment", "商品问题", "错发漏发", "错发", "颜色发错", "high"),
    (4, "refund", "商品问题", "主观不满意", "效果不符预期", "效果不符预期申请退款", "medium"),
    (3, "complaint", "服务问题", "响应慢", None, "投诉客服回复慢", "high"),
    (2, "complaint", "物流问题", "派送异常", None, "快递未送货上门就签收", "high"),
    (2, "complaint", "服务问题", "承诺未兑现", None, "承诺的补偿未到账", "urgent"),
    (2, "repair", "商品问题", "质量问题", "功能故障", "使用一周后无法开机", "medium"),
    (1, "suggestion", "其他", "其他", None, "建议增加礼品包装", "low"),
]
REPLIES = [
    "您好,已收到您的反馈,马上为您核实处理~",
    "亲,麻烦提供一下商品照片,我们这边加急处理",
    "已为您登记,仓库核实后第一时间回复您",
    "给您带来不便非常抱歉,已为您申请补偿",
]
NOTES = [
    "已联系仓库核实,等回复",
    "客户要求今天内给答复",
    "已提交快递理赔,等待结果",
    "客户情绪较激动,注意安抚",
]


def _agents(session: Session) -> tuple[dict[str, User], User]:
    """The demo log-ins (created when missing) and their standing roster."""
    existing = {u.username: u for u in session.scalars(select(User))}
    for username, (password, role, name) in DEMO_USERS.items():
        if username not in existing:
            existing[username] = create_user(
                session, username=username, display_name=name, role=role, password=password
            )
    by_code = {s.code: s.id for s in session.scalars(select(Shift))}
    for username, code in ROSTER.items():
        shifts.set_roster(session, user_id=existing[username].id, shift_id=by_code[code])
    lead = next(u for name, u in existing.items() if name in DEMO_USERS and u.role == Role.SUPERVISOR)
    return {name: existing[name] for name in ROSTER}, lead


def _rules(session: Session) -> None:
    """A supervisor's typical rules: complaints escalate, logistics to 物流跟单, wrong items CC 仓库."""
    if session.scalar(select(RoutingRule.id).limit(1)) is not None:
        return
    rules: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("投诉升级主管", {"types": ["complaint"]}, {"set_priority": 1, "cc_group_code": "supervisors"}),
        ("物流问题转物流跟单", {"categories": ["物流问题"]}, {"set_group_code": "logistics"}),
        ("错发漏发抄送仓库", {"subcategories": ["错发漏发"]}, {"cc_group_code": "warehouse"}),
        ("大额订单优先", {"min_amount_fen": 100_000}, {"set_priority": 2}),
    ]
    for position, (name, conditions, actions) in enumerate(rules, start=1):
        session.add(
            RoutingRule(name=name, position=position * 10, is_active=True, conditions=conditions, **actions)
        )
    session.flush()


def extend(session: Session, ctx: DemoContext) -> None:
    rng = ctx.rng("tickets")
    agents, _lead = _agents(session)
    _rules(session)
    as_of = ctx.config.as_of
    if session.scalar(select(Ticket.id).where(Ticket.source == "demo").limit(1)) is not None:
        return  # a rerun on the same database leaves the tickets it made the first time
    orders = _candidate_orders(session, ctx, rng)
    weights = [m[0] for m in MIX]
    made: list[Ticket] = []
    for order in orders:
        kind = rng.choices(MIX, weights)[0]
        opened = _opened_at(rng, order, as_of)
        made.append(_work(session, rng, order, kind, opened, as_of, agents))
    _hand_off_last_shifts(session, as_of)
    ctx.summary["tickets"] = len(made)
    ctx.summary["tickets_open"] = sum(
        t.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED) for t in made
    )


def _candidate_orders(session: Session, ctx: DemoContext, rng: random.Random) -> list[Order]:
    """Paid orders of this demo (after-sales starts after payment)."""
    paid = list(session.scalars(select(Order.id).where(Order.paid_at.is_not(None)).order_by(Order.id)))
    count = min(MAX_TICKETS, max(10, int(len(ctx.order_ids) * SHARE)))
    chosen = sorted(rng.sample(paid, min(count, len(paid))))
    return list(session.scalars(select(Order).where(Order.id.in_(chosen)).order_by(Order.id)))


def _opened_at(rng: random.Random, order: Order, as_of: datetime) -> datetime:
    """Half the tickets from the last 30 hours (the live queue), the rest across the window."""
    start = max(order.paid_at or order.ordered_at, as_of - timedelta(days=13))
    if rng.random() < 0.5:
        start = max(start, as_of - timedelta(hours=30))
    span = max(60.0, (as_of - start).total_seconds() - 600)
    return start + timedelta(seconds=rng.uniform(0, span))


def _agent_on_duty(agents: dict[str, User], at: datetime, session: Session) -> User | None:
    shift = shifts.current_shift(shift_repository.all_shifts(session), at)
    name = next((n for n, code in ROSTER.items() if shift is not None and code == shift.code), None)
    return agents.get(name) if name else None


def _work(
    session: Session,
    rng: random.Random,
    order: Order,
    kind: tuple[int, str, str, str | None, str | None, str, str],
    opened: datetime,
    as_of: datetime,
    agents: dict[str, User],
) -> Ticket:
    _, ticket_type, category, sub, detail, title, severity = kind
    agent = _agent_on_duty(agents, opened, session)
    ticket = service.create_ticket(
        session,
        order_id=order.id,
        type=ticket_type,
        category=category,
        subcategory=sub,
        detail=detail,
        title=title,
        description=f"订单 {order.source_id}:{title}",
        severity=severity,
        assignee_id=agent.id if agent else None,
        actor_id=agent.id if agent else None,
        source="demo",
        source_key=f"demo:{order.id}",
        now=opened,
    )
    _handle(session, rng, ticket, agent or rng.choice(list(agents.values())), opened, as_of)
    return ticket


def _handle(
    session: Session, rng: random.Random, ticket: Ticket, actor: User, opened: datetime, as_of: datetime
) -> None:
    """The first reply a few minutes after opening, then the ticket's course (see ``_progress``)."""
    age = as_of - opened
    reply_at = opened + timedelta(minutes=rng.choice([3, 6, 9, 14, 18, 35, 90]))
    if reply_at >= as_of or (age < timedelta(hours=2) and rng.random() < 0.4):
        return  # still new: some of these are the queue's breaches
    service.add_comment(
        session, ticket_id=ticket.id, actor_id=actor.id, text=rng.choice(REPLIES), now=reply_at
    )
    _progress(session, rng, ticket, actor, reply_at, as_of, age)


def work_system_tickets(session: Session, ctx: DemoContext, opened: dict[int, datetime]) -> int:
    """Tickets the other domains opened while the demo loaded, moved to when their cause arose
    (``opened``: a parcel's finding, a refund request, a review) and worked by the roster like
    the demo's own. The demo loads a fortnight at once, so without this every such ticket is of
    the same minute, unassigned, and breaches its SLA in the same minute; a team that ran the
    product all along met each problem when it came. Returns how many were moved."""
    rng = ctx.rng("system-tickets")
    agents, _lead = _agents(session)
    as_of = ctx.config.as_of
    latest = as_of - SETTLE_MARGIN
    # Only tickets of this load (stamped at or after the as-of time): a rerun leaves worked ones be.
    # One whose cause has no time of its own is taken as the load's last minutes.
    loaded = select(Ticket).where(Ticket.source != "demo", Ticket.created_at > latest).order_by(Ticket.id)
    tickets = list(session.scalars(loaded))
    for ticket in tickets:
        at = min(opened.get(ticket.id, latest), latest)
        _backdate(session, ticket, at)
        agent = _agent_on_duty(agents, at, session)
        if agent is None:
            continue  # came in at night: waits in its group's queue for the morning shift
        service.assign(session, ticket_id=ticket.id, assignee_id=agent.id, actor_id=agent.id, now=at)
        _handle(session, rng, ticket, agent, at, as_of)
    return len(tickets)


def _backdate(session: Session, ticket: Ticket, at: datetime) -> None:
    """The ticket and its opening entries as of ``at``, with its SLA clock started then."""
    ticket.created_at = at
    for entry in session.scalars(select(TimelineEntry).where(TimelineEntry.ticket_id == ticket.id)):
        entry.created_at = at
    start_sla(session, ticket, now=at)
    session.flush()


def _progress(
    session: Session,
    rng: random.Random,
    ticket: Ticket,
    actor: User,
    replied: datetime,
    as_of: datetime,
    age: timedelta,
) -> None:
    """Older tickets mostly end resolved (some closed and rated); recent ones wait or run."""
    step = replied + timedelta(minutes=rng.randint(10, 240))
    if step >= as_of:
        return
    roll = rng.random()
    if age > timedelta(hours=30) and roll < 0.85 or roll < 0.3:
        _resolve(session, rng, ticket, actor, step, as_of)
    elif roll < 0.55:
        service.transition(
            session, ticket_id=ticket.id, to=TicketStatus.WAITING_CUSTOMER, actor_id=actor.id, now=step
        )
    elif roll < 0.7:
        service.add_comment(
            session, ticket_id=ticket.id, actor_id=actor.id, text=rng.choice(NOTES), internal=True, now=step
        )
        service.schedule_follow_up(
            session, ticket_id=ticket.id, actor_id=actor.id, at=step + timedelta(days=1), note="隔日跟进"
        )
    elif roll < 0.85:
        service.transition(
            session, ticket_id=ticket.id, to=TicketStatus.WAITING_INTERNAL, actor_id=actor.id, now=step
        )
        department = "warehouse" if ticket.subcategory == "错发漏发" else "product"
        feedback.raise_feedback(
            session,
            ticket_id=ticket.id,
            department=department,
            content=f"{ticket.title},请核查",
            actor_id=actor.id,
        )
    else:
        service.add_comment(
            session, ticket_id=ticket.id, actor_id=actor.id, text=rng.choice(NOTES), internal=True, now=step
        )


def _resolve(
    session: Session, rng: random.Random, ticket: Ticket, actor: User, at: datetime, as_of: datetime
) -> None:
    service.transition(session, ticket_id=ticket.id, to=TicketStatus.RESOLVED, actor_id=actor.id, now=at)
    closed = at + timedelta(hours=rng.randint(2, 48))
    if closed < as_of and rng.random() < 0.6:
        service.transition(session, ticket_id=ticket.id, to=TicketStatus.CLOSED, actor_id=None, now=closed)
        if rng.random() < 0.5:
            stars = rng.choices([5, 4, 3, 2, 1], [60, 20, 10, 5, 5])[0]
            service.record_rating(
                session, ticket_id=ticket.id, stars=stars, comment="处理及时" if stars >= 4 else None
            )


def _hand_off_last_shifts(session: Session, as_of: datetime) -> None:
    """The shift ends of the last day leave their unresolved tickets to the next shift."""
    all_shifts = shift_repository.all_shifts(session)
    ends = sorted(
        (handoffs.last_end(s, as_of - timedelta(days=back)) for s in all_shifts for back in (0, 1)),
        key=lambda e: e.ends_at,
    )
    for end in ends:
        if as_of - end.ends_at < timedelta(hours=24):
            handoffs.hand_off(
                session, shift_id=end.shift_id, day=end.day, now=end.ends_at + timedelta(minutes=1)
            )
