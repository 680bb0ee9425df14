"""The demo's 保价 rules and the seed-000 appeal story, called from ``returns/demo.py``.

Every shop gets the 双12 rule (drops within 15 days of payment, every SKU, ≤ ¥200 per order). On a
quality ticket of the promotion the shop appeals the platform's ruling with the ticket's timeline
and the buyer's words as evidence, and wins after the buyer paid the difference and left a good
review; a second appeal is still a draft with its deadline a day away. Deadlines are set from the
real clock, since an appeal is submitted only before its deadline.
"""

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.catalog.models import Shop
from aftersales.kit.time import utcnow
from aftersales.returns import appeals, price_protection
from aftersales.returns.aftercare_schemas import AppealIn, AppealOutcomeIn, EvidenceIn
from aftersales.tickets.models import Ticket, TimelineEntry

DOUBLE_12 = {"is_active": True, "window_days": 15, "sku_codes": [], "max_per_order_fen": 20_000}
RULING = "买家未联系客服直接申请质量问题,平台判定卖家责任并已退款"


def extend(session: Session, shops: list[Shop], agent: User) -> int:
    """The rules, then the appeals; returns how many appeals were written."""
    for shop in shops:
        price_protection.save_rule(session, shop_id=shop.id, values=DOUBLE_12)
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(Ticket.order_id.is_not(None), Ticket.subcategory == "质量问题")
            .order_by(Ticket.id)
            .limit(2)
        )
    )
    for number, ticket in enumerate(tickets):
        _appeal(session, ticket, agent, won=number == 0)
    return len(tickets)


def _appeal(session: Session, ticket: Ticket, agent: User, *, won: bool) -> None:
    assert ticket.order_id is not None
    entries = session.scalars(
        select(TimelineEntry.id)
        .where(TimelineEntry.ticket_id == ticket.id)
        .order_by(TimelineEntry.id)
        .limit(2)
    )
    evidence = [EvidenceIn(kind="timeline", ref_id=entry) for entry in entries]
    evidence.append(EvidenceIn(kind="chat", text="买家:我只是想要和生产日期对应的出厂报告"))
    data = AppealIn(
        order_id=ticket.order_id,
        ticket_id=ticket.id,
        ruling=RULING,
        deadline_at=utcnow() + timedelta(days=5 if won else 1),
        statement="买家诉求为出厂报告,客服已提供,买家已补款并好评,问题已解决,申请撤销判责" if won else "",
        evidence=evidence if won else [],
    )
    appeal = appeals.create(session, data=data, actor=agent)
    if won:
        appeals.submit(session, appeal_id=appeal.id, actor=agent)
        outcome = AppealOutcomeIn(won=True, note="平台已撤销对店铺的判责", topup_fen=5_000, good_review=True)
        appeals.record_outcome(session, appeal_id=appeal.id, data=outcome, actor=agent)
