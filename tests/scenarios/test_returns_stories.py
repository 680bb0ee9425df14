"""Golden stories of money and goods: a refund while the parcel travels (interception, then the
refund), a serial returner asking for a gift, a reshipment of a refunded order, an invoice."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from aftersales.logistics import jobs as logistics_jobs
from aftersales.returns.models import GiftStatus, RefundState, ReturnRequest, SopUpgrade
from aftersales.tickets.models import Ticket
from tests.builders import make_bot, make_return_policy
from tests.receiver import Receiver
from tests.scenarios.conftest import Story

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
BUYER = "tmall:digital:buyer_zhao"


def request_body(story: Story, order_no: str, **fields: object) -> dict[str, object]:
    return {"shop_code": story.shop.code, "order_no": order_no, **fields}


def test_refund_while_in_transit_intercepts_then_refunds(story_at: Callable[[datetime], Story]) -> None:
    story = story_at(NOW - timedelta(days=1))
    make_return_policy(story.session, shop=story.shop, release_refund_on="returned")
    order = story.order("M3001", "buyer_zhao")
    story.ship("M3001", "zto", "ZT3002")
    story.later(hours=2).track("zto", "ZT3002", "【杭州】快件已揽收", "杭州")
    asked = request_body(story, "M3001", request_no="TK3001", kind="refund_only", reason_code="changed_mind")
    created = story.at(NOW).post("/api/returns/requests", asked, expect=201)
    story.later(minutes=1).worker()
    story.later(hours=20).track("zto", "ZT3002", "快件已退回,拦截成功", "杭州")
    story.run(logistics_jobs.poll_intercepts)
    request = story.session.get(ReturnRequest, created["id"])
    assert request is not None
    assert request.refund_state == RefundState.RELEASED
    assert story.sent() == [
        ("12-08 06:01", BUYER, "亲,订单 M3001 的退款 299.00 元已于 2026-12-08 06:01 原路退回,请注意查收~"),
    ]
    assert story.tickets(order) == ["仅退款:拍错/不想要了 · 订单 M3001"]


def test_serial_returner_asks_for_a_gift(story_at: Callable[[datetime], Story], receiver: Receiver) -> None:
    story = story_at(NOW - timedelta(days=25))
    make_return_policy(story.session, shop=story.shop, erp_url=f"{receiver.url}/erp")
    make_bot(story.session, group_code="supervisors", url=f"{receiver.url}/supervisors")
    for n in range(6):  # a request every four days, the sixth today
        story.at(NOW - timedelta(days=20 - 4 * n))
        story.order(f"M31{n:02d}", "buyer_zhao", status="completed")
        asked = request_body(
            story, f"M31{n:02d}", request_no=f"TK31{n:02d}", kind="return", reason_code="not_expected"
        )
        story.post("/api/returns/requests", asked, expect=201)
        story.worker()
    last = story.session.scalars(select(ReturnRequest).where(ReturnRequest.source_id == "TK3105")).one()
    gifts = story.session.scalars(select(SopUpgrade).order_by(SopUpgrade.id)).all()
    assert [g.status for g in gifts] == [GiftStatus.AUTO] + [GiftStatus.PENDING] * 4
    assert [r.path for r in receiver.received if r.path == "/erp"] == ["/erp"]  # the one gift within the cap
    alerts = [r.body["text"]["content"] for r in receiver.received if r.path == "/supervisors"]
    assert alerts[-1] == (
        "【赠品审批】订单 M3105 的售后关怀赠品超出上限(客户近30天已有 6 次售后申请(频繁退换客户)),"
        f"请到 售后工作台 处理(赠品 #{gifts[-1].id})"
    )
    card = story.page(f"/console/returns/panels/order/{last.order_id}/customer")
    assert "频繁退换客户" in card


def test_reshipment_of_a_refunded_order_is_refused(
    story_at: Callable[[datetime], Story], receiver: Receiver
) -> None:
    story = story_at(NOW - timedelta(days=2))
    make_return_policy(story.session, shop=story.shop, erp_url=f"{receiver.url}/erp")
    order = story.order("M3201", "buyer_zhao")
    story.ship("M3201", "zto", "ZT3201")
    story.later(hours=30).track("zto", "ZT3201", "已签收,签收人:本人签收", "杭州")
    asked = request_body(story, "M3201", request_no="TK3201", kind="refund_only", reason_code="missing_item")
    created = story.at(NOW).post("/api/returns/requests", asked, expect=201)
    story.later(minutes=30).post(f"/api/returns/requests/{created['id']}/refund", expect=200)
    reship = {
        "order_id": order.id,
        "items": [{"title": "家用监控摄像头", "quantity": 1}],
        "reason": "漏发补寄",
    }
    refused = story.later(minutes=5).post("/api/returns/reshipments", reship, expect=409)
    story.worker()
    assert refused["detail"] == "该订单已全额退款,不能补发"
    assert [r.path for r in receiver.received] == []
    assert story.sent() == [
        ("12-07 10:35", BUYER, "亲,订单 M3201 的退款 299.00 元已于 2026-12-07 10:30 原路退回,请注意查收~"),
    ]
    assert story.tickets(order) == ["仅退款:漏发/少件 · 订单 M3201"]


def test_invoice_request_gets_a_working_link(story_at: Callable[[datetime], Story]) -> None:
    story = story_at(NOW)
    order = story.order("M3301", "buyer_zhao", status="completed")
    link = story.post(f"/api/selfservice/orders/{order.id}/portal-link")["url"]
    story.client.get(link.removeprefix("http://127.0.0.1:8000"))
    invoice = {"invoice_type": "company", "title": "杭州某某科技有限公司", "tax_id": "91330106MA2B0CDE1X"}
    registered = story.client.post("/portal/apply/invoice", data=invoice, follow_redirects=False)
    assert registered.status_code == 303, registered.text
    [ticket_id] = story.session.scalars(select(Ticket.id).where(Ticket.order_id == order.id)).all()
    story.later(hours=3).post(
        f"/api/tickets/{ticket_id}/transitions", {"to": "resolved", "note": "发票已开具"}
    )
    story.run()
    rating, survey, notice = story.sent()
    assert survey[:2] == ("12-07 13:00", BUYER)
    assert survey[2].startswith("亲,感谢您联系数码旗舰店!您反馈的问题已处理完毕,占用您 1 分钟填写满意度问卷")
    assert "/portal/s/" in survey[2]
    assert rating == (
        "12-07 13:00",
        BUYER,
        "亲,本次服务已处理完毕,您对售后客服的服务满意吗?回复 1-5 为我们打分(5 分最满意),感谢您的支持!",
    )
    assert notice[:2] == ("12-07 13:00", BUYER)
    text, link = notice[2].split("点击查看: ", 1)
    assert text == "亲,订单 M3301 的电子发票(抬头:杭州某某科技有限公司)已开具,"
    assert link.startswith("http://127.0.0.1:8000/portal/l/")
    assert link.endswith("/invoice")
    story.client.cookies.clear()
    page = story.client.get(link.removeprefix("http://127.0.0.1:8000"))
    assert page.status_code == 200
    assert "已开具" in page.text
    assert "杭州某某科技有限公司" in page.text
