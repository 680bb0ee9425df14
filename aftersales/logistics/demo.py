"""Demo: peak-time restricted regions, default rules and templates, one scan and its follow-up.

After ``make demo`` the console shows anomalies with their tickets, region holds with notices,
proactive messages in the outbox and the care sequence with a few buyer replies. Interceptions
come from the returns demo's refund requests on parcels in transit (``RefundRequested``);
``play_intercepts`` (called by the returns demo once its requests exist) runs their courier calls
and polls on the demo clock, so the console shows every intercept state as of the demo's time.
"""

from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.demo.context import DemoContext
from aftersales.kit.time import SHANGHAI
from aftersales.logistics import care, intercepts, regions, service
from aftersales.logistics.care_settings import DEFAULT_PLAN
from aftersales.logistics.couriers import use_simulated_courier
from aftersales.logistics.defaults import ensure_defaults
from aftersales.logistics.models import CareMessage, CareStatus, Intercept, InterceptStatus

REPLIES = (
    ("收到了,包装很好,谢谢", False),
    ("挺好用的,孩子很喜欢", False),
    ("杯盖有点漏水,质量太差了", True),
    ("物流太慢了,等了一个星期", True),
    ("还没用,看着不错", False),
)


def _peak_local(ctx: DemoContext, days: int, hour: int = 0) -> datetime:
    return datetime.combine(ctx.config.peak_day + timedelta(days=days), time(hour), tzinfo=SHANGHAI)


def _regions(session: Session, ctx: DemoContext) -> None:
    """Couriers stop remote provinces around the peak (seed 001), plus one district for one courier."""
    for province in ("新疆维吾尔自治区", "西藏自治区"):
        regions.save_region(
            session,
            province=province,
            reason="双11爆仓,快递暂停收发",
            valid_from=_peak_local(ctx, -1),
            valid_until=_peak_local(ctx, 20),
        )
    regions.save_region(
        session,
        province="黑龙江省",
        city="哈尔滨市",
        district="道里区",
        courier="zto",
        reason="暴雪,网点暂停派送",
        valid_from=_peak_local(ctx, 2, 8),
        valid_until=max(ctx.config.as_of, _peak_local(ctx, 2, 8)) + timedelta(days=2),
    )


def _care_replies(session: Session, ctx: DemoContext) -> int:
    """A few buyers answer the care message; the negative ones open tickets."""
    rng = ctx.rng("logistics")
    sent = list(
        session.scalars(
            select(CareMessage.order_id).where(CareMessage.status == CareStatus.SENT).order_by(CareMessage.id)
        )
    )
    chosen = rng.sample(sent, k=min(12, len(sent)))
    for order_id in chosen:
        text, _negative = rng.choice(REPLIES)
        care.record_reply(session, order_id=order_id, text=text, received_at=ctx.config.as_of)
    return len(chosen)


def _last_daytime(now: datetime) -> datetime:
    """The latest moment at or before ``now`` outside quiet hours (the demo's as-of may be at night)."""
    local = now.astimezone(SHANGHAI)
    quiet = DEFAULT_PLAN.quiet
    if not quiet.contains(now):
        return now
    day = local.date() if local.time() >= quiet.start else local.date() - timedelta(days=1)
    return datetime.combine(day, time(20, 30), tzinfo=SHANGHAI)


def play_intercepts(session: Session, ctx: DemoContext) -> int:
    """Send each waiting intercept to the (simulated) courier a few minutes after its refund request,
    as the job would have, then poll them all at the as-of time; requests younger than their delay
    stay ``requested`` with their job queued. Times are the demo's, so the refund-to-request
    statistic compares one clock with itself."""
    rng, as_of = ctx.rng("intercepts"), ctx.config.as_of
    waiting = session.scalars(
        select(Intercept)
        .where(Intercept.status == InterceptStatus.REQUESTED, Intercept.requested_at.is_(None))
        .order_by(Intercept.id)
    ).all()
    for intercept in waiting:
        intercept.created_at = intercept.refund_requested_at
        sent_at = intercept.refund_requested_at + timedelta(minutes=rng.uniform(1, 15))
        if sent_at <= as_of:
            intercepts.submit(session, intercept_id=intercept.id, now=sent_at)
    intercepts.poll(session, now=as_of)
    return len(waiting)


def extend(session: Session, ctx: DemoContext) -> None:
    now = ctx.config.as_of
    use_simulated_courier(ctx.config.seed)
    ensure_defaults(session)
    _regions(session, ctx)
    counts = service.scan(session, now=now)
    followed = service.follow_up(session, now=now, limit=100_000)
    notices = regions.notify_holds(session, now=now)
    care.schedule(session, now=now)
    care_sent = care.send_due(session, now=_last_daytime(now))
    ctx.summary["logistics"] = {
        "anomalies": sum(v for k, v in counts.items() if k not in ("resolved", "region_holds")),
        "region_holds": counts["region_holds"],
        "tickets": followed["followed_up"],
        "buyer_messages": followed["messages"] + notices + care_sent,
        "care_replies": _care_replies(session, ctx),
    }
