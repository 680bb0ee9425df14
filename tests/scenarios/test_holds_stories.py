"""Golden stories about holds: a restricted region then lifted, the bot and the portal asked about a
held order, a stuck parcel, a gift parcel. Driven through the API and the jobs on a moving clock."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aftersales.auth.models import Role
from tests.scenarios.conftest import Story

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
BUYER = "tmall:digital:buyer_wang"


def test_restricted_region_then_lifted(story_at: Callable[[datetime], Story]) -> None:
    story = story_at(NOW)
    order = story.order(
        "R2001", "buyer_wang", status="paid", province="西藏自治区", city="拉萨市", district="城关区"
    )
    region = {
        "province": "西藏自治区",
        "reason": "大雪封路",
        "valid_until": (NOW + timedelta(days=2)).isoformat(),
    }
    story.post("/api/logistics/restricted-regions", region, role=Role.SUPERVISOR, expect=201)
    story.logistics()
    story.later(hours=6).logistics()  # the next runs say nothing new
    story.at(NOW + timedelta(days=3)).logistics()  # lifted: nothing more to say about the hold
    bot = story.post(
        "/api/selfservice/bot/ask", {"text": "什么时候发货", "session_key": "s1", "order_id": order.id}
    )
    assert story.sent() == [
        (
            "12-07 10:00",
            BUYER,
            "亲,因大雪封路,快递暂时无法派送到西藏自治区 拉萨市 城关区,您的订单 R2001 将在恢复派送后"
            "(12月09日)第一时间为您发出/派送。如需改地址或取消订单,直接回复我们就好~",
        )
    ]
    assert bot["answer"].startswith("您的订单已付款,尚未发货,最晚")
    assert story.tickets(order) == []


def test_bot_asked_about_a_held_order(story_at: Callable[[datetime], Story]) -> None:
    story = story_at(NOW)
    order = story.order(
        "R2002", "buyer_wang", status="paid", province="西藏自治区", city="拉萨市", district="城关区"
    )
    region = {
        "province": "西藏自治区",
        "reason": "大雪封路",
        "valid_until": (NOW + timedelta(days=2)).isoformat(),
    }
    story.post("/api/logistics/restricted-regions", region, role=Role.SUPERVISOR, expect=201)
    asked = {"text": "快点发货吧,什么时候发", "session_key": "s2", "order_id": order.id}
    answer = story.later(minutes=5).post("/api/selfservice/bot/ask", asked)["answer"]
    assert answer == (
        "您的订单已付款,暂未发货:因大雪封路,快递暂时无法派送到西藏自治区(预计 12月09日 恢复),"
        "恢复后会第一时间为您发出/派送。"
    )
    assert "最晚" not in answer


def test_address_change_on_a_held_order(story_at: Callable[[datetime], Story]) -> None:
    story = story_at(NOW)
    order = story.order(
        "R2003", "buyer_wang", status="paid", province="西藏自治区", city="拉萨市", district="城关区"
    )
    region = {"province": "西藏自治区", "reason": "大雪封路"}
    story.post("/api/logistics/restricted-regions", region, role=Role.SUPERVISOR, expect=201)
    link = story.later(minutes=1).post(f"/api/selfservice/orders/{order.id}/portal-link")["url"]
    story.client.get(link.removeprefix("http://127.0.0.1:8000"))
    new = {
        "receiver_name": "李雷",
        "receiver_phone": "13812345678",
        "province": "四川省",
        "city": "成都市",
        "district": "武侯区",
        "address": "人民南路 4 段 1 号",
    }
    refused = story.client.post("/portal/apply/address", data={**new, "province": "西藏自治区"})
    accepted = story.client.post("/portal/apply/address", data=new, follow_redirects=False)
    assert refused.status_code == 422
    assert "新地址所在地区暂停派送:因大雪封路,快递暂时无法派送到西藏自治区(恢复时间另行通知)" in refused.text
    assert accepted.status_code == 303
    assert story.tickets(order) == ["[自助]修改收货地址: 订单 R2003"]


def test_stuck_parcel_for_3_days(story_at: Callable[[datetime], Story]) -> None:
    story = story_at(NOW - timedelta(days=4))
    order = story.order("R2004", "buyer_wang")
    story.ship("R2004", "zto", "ZT0004", estimated_delivery_at=(NOW + timedelta(days=3)).isoformat())
    story.later(hours=2).track("zto", "ZT0004", "【杭州】快件已揽收", "杭州")
    story.later(hours=12).track("zto", "ZT0004", "快件已到达【郑州转运中心】", "郑州")
    for day in range(4):  # the scan every day while the parcel sits in Zhengzhou
        story.at(NOW + timedelta(days=day - 1)).logistics()
    assert story.tickets(order) == ["物流跟单: 物流长时间未更新 ZT0004"]
    assert story.sent() == []


def test_gift_parcel_sends_the_gift_tracking(story_at: Callable[[datetime], Story]) -> None:
    story = story_at(NOW)
    items = [
        {"sku_code": "CAM-1", "title": "家用监控摄像头", "quantity": 1, "unit_price_fen": 29_900},
        {"title": "64G 存储卡", "quantity": 1, "unit_price_fen": 0, "is_gift": True},
    ]
    order = story.order("R2005", "buyer_wang", items=items)
    story.ship("R2005", "sf", "SF0005", item_lines=[0], item_summary="赠品:无")
    story.later(hours=3).ship("R2005", "yto", "YT0005", item_lines=[1])
    story.later(hours=1).ship("R2005", "yto", "YT0005", item_lines=[1])  # the platform sends it again
    story.run()
    assert story.sent() == [
        ("12-07 14:00", BUYER, "亲,您订单 R2005 的赠品已单独寄出:圆通速递 YT0005,和商品分开到达,请留意查收~")
    ]
    assert story.tickets(order) == []
