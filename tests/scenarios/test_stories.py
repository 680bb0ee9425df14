"""Golden stories: a shop's automation driven through its jobs on a moving clock, asserting the
exact texts the buyer receives (to whom, when, on which channel) and the tickets opened."""

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.logistics import jobs as logistics_jobs
from aftersales.messaging.customer_channels import OutboundRecorder
from aftersales.messaging.jobs import deliver_outbox
from aftersales.tickets.models import Ticket
from tests.builders import make_customer, make_order, make_parcel, make_shop

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def sent(outbound: OutboundRecorder) -> list[tuple[str, str, str]]:
    return [(r["at"], r["destination"], r["text"]) for r in outbound.records("platform_im")]


def test_split_order_with_one_late_parcel(session: Session, outbound: OutboundRecorder) -> None:
    shop = make_shop(session, code="digital", name="数码旗舰店")
    order = make_order(
        session,
        shop=shop,
        customer=make_customer(session, shop=shop, source_id="buyer_li"),
        source_id="S1001",
    )
    make_parcel(
        session,
        order=order,
        tracking_no="SF0001",
        courier="sf",
        shipped_at=NOW - timedelta(hours=20),
        estimated_delivery_at=NOW + timedelta(days=1),
        timeline=[
            (NOW - timedelta(hours=18), "【杭州】快件已揽收", "杭州"),
            (NOW - timedelta(hours=1), "【北京】快递员正在派送", "北京"),
        ],
    )
    make_parcel(
        session,
        order=order,
        tracking_no="YT0002",
        courier="yto",
        shipped_at=NOW - timedelta(hours=80),
        estimated_delivery_at=NOW - timedelta(hours=30),
        timeline=[
            (NOW - timedelta(hours=78), "【杭州】快件已揽收", "杭州"),
            (NOW - timedelta(hours=10), "快件已到达【郑州转运中心】", "郑州"),
        ],
    )
    session.commit()
    with time_machine.travel(NOW, tick=False):
        logistics_jobs.scan(session)
        logistics_jobs.follow_up(session, checkpoint=session.commit)
        deliver_outbox(session, checkpoint=session.commit)
    with time_machine.travel(NOW + timedelta(minutes=10), tick=False):  # the next run says nothing new
        logistics_jobs.scan(session)
        logistics_jobs.follow_up(session, checkpoint=session.commit)
        deliver_outbox(session, checkpoint=session.commit)
    assert sent(outbound) == [
        (
            NOW.isoformat(),
            "tmall:digital:buyer_li",
            "亲,您在数码旗舰店的订单 S1001 中,圆通速递运单 YT0002(运输中)比预计慢了一些"
            "(原预计 12月6日 送达),真的很抱歉!我们已联系圆通速递加急处理,有任何进展会第一时间告诉您~\n"
            "本单共 2 个包裹:\n"
            "1. 顺丰速运 SF0001(派送中,预计 12月8日)\n"
            "2. 圆通速递 YT0002(运输中,预计 12月6日)",
        )
    ]
    titles = session.scalars(select(Ticket.title).where(Ticket.order_id == order.id)).all()
    assert titles == ["物流跟单: 超时未送达 YT0002"]


def test_stale_care_after_two_weeks_of_downtime_sends_nothing(
    session: Session, outbound: OutboundRecorder
) -> None:
    order = make_order(session)
    make_parcel(
        session,
        order=order,
        shipped_at=NOW - timedelta(days=2),
        timeline=[
            (NOW - timedelta(days=2), "【杭州】快件已揽收", "杭州"),
            (NOW, "已签收,签收人:本人签收", "北京"),
        ],
    )
    session.commit()
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        logistics_jobs.care_sequence(session)  # steps scheduled, then the server goes down
    with time_machine.travel(NOW + timedelta(days=15), tick=False):  # back up, 10:00 Shanghai
        result = logistics_jobs.care_sequence(session)
        delivered = deliver_outbox(session, checkpoint=session.commit)
    assert (result["expired"], result["queued"], delivered["sent"]) == (3, 0, 0)
    assert sent(outbound) == []
