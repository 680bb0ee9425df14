"""Golden stories of what buyers write: a 1★ naming a product fault, a 5★ whose text complains, a
question about 保价/退差价, and an SLA breach alert while a bulk send is queued."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from aftersales.auth.models import Role
from aftersales.messaging.jobs import deliver_outbox
from aftersales.messaging.models import Priority
from aftersales.messaging.service import queue_messages
from aftersales.reviews.drafts import AFTERSALES_PATH, APOLOGIES
from aftersales.reviews.models import Review
from aftersales.tickets import jobs as tickets_jobs
from aftersales.tickets.models import Ticket
from tests.builders import make_bot, make_sku
from tests.receiver import Receiver
from tests.scenarios.conftest import Story

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


def review(story: Story, review_id: str, stars: int, text: str) -> Review:
    make_sku(
        story.session, shop=story.shop, code="CAM-1", name="家用监控摄像头", selling_points=["1080P高清画质"]
    )
    story.order(f"V{review_id}", "buyer_sun", status="completed")
    body = {
        "shop_code": story.shop.code,
        "review_id": review_id,
        "order_no": f"V{review_id}",
        "sku_code": "CAM-1",
        "buyer": "buyer_sun",
        "stars": stars,
        "text": text,
        "reviewed_at": story.now.isoformat(),
    }
    story.post("/api/reviews", body)
    return story.session.scalars(select(Review).where(Review.source_id == review_id)).one()


def rotated(variants: tuple[str, ...], found: Review) -> str:
    """The sentence variant a draft uses: replies under one product rotate by the review's id, so
    neighbouring replies never read the same (the first draft of a SKU starts at ``id % n``)."""
    return variants[found.id % len(variants)]


def posted(story: Story, found: Review) -> list[tuple[str, str, str]]:
    """The reply as the supervisor posts it, delivered to the platform's review-reply channel."""
    story.later(minutes=30).post(f"/api/reviews/{found.id}/reply/post", role=Role.SUPERVISOR)
    story.run()
    return story.sent("review_reply")


def test_product_fault_one_star_review(story_at: Callable[[datetime], Story]) -> None:
    story = story_at(NOW)
    found = review(story, "RV1", 1, "屏幕坏点,画面也不清楚,太失望了")
    assert posted(story, found) == [
        (
            "12-07 10:30",
            "tmall:digital:RV1",
            rotated(APOLOGIES, found) + "关于您提到的「坏点」,这是商品本身的问题,是我们的责任,非常抱歉!"
            "请联系客服或在订单页申请售后,我们为您换新或维修,来回运费由我们承担。"
            + rotated(AFTERSALES_PATH, found),
        )
    ]
    ticket = story.session.get_one(Ticket, found.ticket_id)
    assert (ticket.title, ticket.category, ticket.subcategory) == ("差评 ★ CAM-1", "商品问题", "质量问题")


def test_five_star_review_with_negative_text(story_at: Callable[[datetime], Story]) -> None:
    story = story_at(NOW)
    found = review(story, "RV2", 5, "五星好评吧,但是收到少件了,少了一个支架,客服也不回")
    assert posted(story, found) == [
        (
            "12-07 10:30",
            "tmall:digital:RV2",
            "感谢您给出的好评,不过从您的文字看这次体验还有不满意的地方,我们一一说明。关于您提到的「少件」,"
            "我们已核对发货记录,确认后第一时间为您补发。" + rotated(AFTERSALES_PATH, found),
        )
    ]
    ticket = story.session.get_one(Ticket, found.ticket_id)
    assert (ticket.title, ticket.category, ticket.subcategory) == (
        "五星差评 ★★★★★ CAM-1",
        "商品问题",
        "错发漏发",
    )


def test_price_protection_question(story_at: Callable[[datetime], Story]) -> None:
    story = story_at(NOW)
    found = review(story, "RV3", 3, "刚买三天就降价了一百块,能退差价吗?")
    assert posted(story, found) == [
        (
            "12-07 10:30",
            "tmall:digital:RV3",
            rotated(APOLOGIES, found) + "关于您问的保价/退差价:在活动页写明的保价期内降价的,"
            "联系在线客服报上订单号,核实后差价原路退回,无需退货,商品您继续放心使用。",
        )
    ]


def test_sla_breach_alert_during_a_bulk_send(
    story_at: Callable[[datetime], Story], receiver: Receiver
) -> None:
    story = story_at(NOW)
    make_bot(story.session, group_code="aftersales", url=f"{receiver.url}/aftersales")
    order = story.order("V4001", "buyer_sun")
    opened = {"order_id": order.id, "type": "complaint", "category": "服务问题", "title": "催退款,买家很生气"}
    ticket = story.post("/api/tickets", opened, expect=201)
    story.session.commit()
    queue_messages(story.session, [bulk(n) for n in range(3000)])  # the promotion's notices
    story.session.commit()
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        tickets_jobs.sla_scan(story.session)
        story.session.commit()
        deliver_outbox(story.session, checkpoint=story.session.commit, batch=100, budget_seconds=0)
    alert = f"【SLA 已超时】1 张工单\n#{ticket['id']} 催退款,买家很生气"
    assert [r.body["text"]["content"] for r in receiver.received] == [alert]
    assert len(story.sent()) == 99  # the rest of the first batch: buyer notices wait their turn


def bulk(n: int) -> dict[str, object]:
    return {
        "channel": "platform_im",
        "destination": f"tmall:digital:buyer{n}",
        "payload": {"text": f"亲,大促订单发货通知 {n}"},
        "idempotency_key": f"promotion:notice:{n}",
        "priority": Priority.BULK,
    }
