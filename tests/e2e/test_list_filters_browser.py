"""Every filter of the six list pages in a real browser: choose a value and press 筛选 (or paste a
number and press Enter), see only the matching rows, reload the shared URL and see the same rows,
then choose 全部 again and see every row."""

import re
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import utcnow
from aftersales.orders.models import OrderStatus
from aftersales.returns.models import RequestKind, RequestStatus
from aftersales.reviews.models import ReplyStatus
from aftersales.tickets.models import GroupKind, Shift, TicketGroup, TicketStatus
from tests.builders import (
    make_anomaly_row,
    make_intercept_row,
    make_order,
    make_return_request,
    make_review,
    make_shipment,
    make_shop,
    make_sku,
    make_ticket,
    make_user,
)
from tests.builders.auth import PASSWORD
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser


class ListPage:
    """One list page in the browser: its filter form, its rows (by the links they hold) and its URL."""

    def __init__(self, page: Any, server: LiveServer, path: str, submit: str = "筛选") -> None:
        self.page, self.server, self.path, self.submit = page, server, path, submit
        self.form = page.locator("form.filters[method=get]")

    def open(self, username: str) -> "ListPage":
        self.page.goto(f"{self.server.url}{self.path}")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        expect(self.form).to_be_visible()
        return self

    def choose(self, label: str, option: str) -> None:
        self.form.get_by_label(re.compile(f"^{label}")).select_option(label=option)
        self.form.get_by_role("button", name=self.submit).click()

    def tick(self, label: str, on: bool = True) -> None:
        self.form.get_by_label(re.compile(rf"^\s*{label}")).set_checked(on)
        self.form.get_by_role("button", name=self.submit).click()

    def search(self, label: str, number: str) -> None:
        box = self.form.get_by_label(label)
        box.fill(number)
        box.press("Enter")

    def shows(self, wanted: list[str], hidden: list[str], url_has: str | None = None) -> None:
        for href in wanted:
            expect(self.page.locator(f"main table a[href='{href}']").first).to_be_visible()
        for href in hidden:
            expect(self.page.locator(f"main table a[href='{href}']")).to_have_count(0)
        expect(self.page.get_by_role("alert")).to_have_count(0)
        if url_has is not None:
            expect(self.page).to_have_url(re.compile(re.escape(url_has)))
            self.page.reload()
            self.shows(wanted, hidden)


def test_order_search_and_filters(live_server: LiveServer, browser_page: Any) -> None:
    def seed(session: Session) -> dict[str, Any]:
        north, south = make_shop(session, name="北店"), make_shop(session, name="南店")
        paid = make_order(session, shop=north, status=OrderStatus.PAID, source_id="260000000111")
        shipped = make_order(session, shop=south, status=OrderStatus.SHIPPED, source_id="260000000222")
        return {"agent": make_user(session).username, "paid": paid.id, "shipped": shipped.id}

    seeded = live_server.seed(seed)
    paid, shipped = f"/console/orders/{seeded['paid']}", f"/console/orders/{seeded['shipped']}"
    orders = ListPage(browser_page, live_server, "/console/orders", submit="查询").open(seeded["agent"])
    orders.search("订单号 / 运单号 / 手机号 / 买家账号", "260000000222")
    orders.shows([shipped], [paid], url_has="q=260000000222")
    orders.search("订单号 / 运单号 / 手机号 / 买家账号", "")
    orders.choose("店铺", "北店")
    orders.shows([paid], [shipped], url_has="shop_id=")
    orders.choose("店铺", "全部")
    orders.choose("状态", "已发货")
    orders.shows([shipped], [paid], url_has="status=shipped")
    orders.choose("状态", "全部")
    orders.shows([paid, shipped], [])


def test_order_list_sorts_by_paid_amount_and_keeps_the_order(
    live_server: LiveServer, browser_page: Any
) -> None:
    def seed(session: Session) -> dict[str, Any]:
        small = make_order(session, paid_fen=1_000, total_fen=1_000, ordered_at=utcnow())
        large = make_order(
            session, paid_fen=90_000, total_fen=90_000, ordered_at=utcnow() - timedelta(days=1)
        )
        return {"agent": make_user(session).username, "small": small.id, "large": large.id}

    seeded = live_server.seed(seed)
    orders = ListPage(browser_page, live_server, "/console/orders", submit="查询").open(seeded["agent"])
    orders.choose("排序", "实付金额(高→低)")
    expect(browser_page).to_have_url(re.compile("sort=paid_desc"))
    first = browser_page.locator("#order-rows table a[href^='/console/orders/']").first
    expect(first).to_have_attribute("href", f"/console/orders/{seeded['large']}")
    browser_page.reload()
    expect(first).to_have_attribute("href", f"/console/orders/{seeded['large']}")


def test_ticket_queue_search_and_filters(live_server: LiveServer, browser_page: Any) -> None:
    def seed(session: Session) -> dict[str, Any]:
        agent = make_user(session, role=Role.AGENT)
        early, late = (
            Shift(code="t-early", name="测早班", start_minute=480, end_minute=960),
            Shift(code="t-late", name="测晚班", start_minute=960, end_minute=1440),
        )
        team, other = (
            TicketGroup(code="t-team", name="测售后组", kind=GroupKind.TEAM),
            TicketGroup(code="t-other", name="测物流组", kind=GroupKind.TEAM),
        )
        session.add_all([early, late, team, other])
        session.flush()
        shop = make_shop(session)
        order = make_order(session, shop=shop, source_id="260000000333")
        overdue = make_ticket(session, order=order, title="逾期的", now=utcnow() - timedelta(days=3))
        overdue.shift_id, overdue.group_id, overdue.assignee_id = early.id, team.id, agent.id
        fresh = make_ticket(session, shop=shop, title="新来的")
        fresh.shift_id, fresh.group_id = late.id, other.id
        done = make_ticket(session, shop=shop, title="已关的")
        done.status, done.is_open = TicketStatus.CLOSED, False
        return {"agent": agent.username, "overdue": overdue.id, "fresh": fresh.id, "done": done.id}

    seeded = live_server.seed(seed)
    overdue, fresh, done = (f"/console/tickets/{seeded[k]}" for k in ("overdue", "fresh", "done"))
    queue = ListPage(browser_page, live_server, "/console/tickets").open(seeded["agent"])
    queue.shows([overdue, fresh], [done])
    queue.search("搜索", "260000000333")
    queue.shows([overdue], [fresh], url_has="q=260000000333")
    queue.search("搜索", "")
    queue.choose("状态", "已关闭")
    queue.shows([done], [overdue, fresh], url_has="status=closed")
    queue.choose("状态", "未完结")
    queue.choose("SLA", "已超时")
    queue.shows([overdue], [fresh], url_has="sla=breached")
    queue.choose("SLA", "全部")
    queue.choose("班次", "测晚班")
    queue.shows([fresh], [overdue], url_has="shift_id=")
    queue.choose("班次", "全部")
    queue.choose("处理组", "测售后组")
    queue.shows([overdue], [fresh], url_has="group_id=")
    queue.choose("处理组", "全部")
    queue.tick("我的")
    queue.shows([overdue], [fresh], url_has="mine=true")
    queue.tick("我的", on=False)
    queue.choose("排序", "创建时间")
    queue.shows([overdue, fresh], [done], url_has="sort=created")


def test_anomaly_list_search_and_filters(live_server: LiveServer, browser_page: Any) -> None:
    def seed(session: Session) -> dict[str, Any]:
        stuck = make_shipment(session, courier="sf", tracking_no="SF1400000000001")
        lost = make_shipment(session, courier="zto")
        make_anomaly_row(session, first_seen_at=utcnow(), shipment=stuck, kind="stuck_at_hub")
        make_anomaly_row(session, first_seen_at=utcnow(), shipment=lost, kind="no_update", status="resolved")
        return {"agent": make_user(session).username, "stuck": stuck.order_id, "lost": lost.order_id}

    seeded = live_server.seed(seed)
    stuck, lost = f"/console/orders/{seeded['stuck']}", f"/console/orders/{seeded['lost']}"
    anomalies = ListPage(browser_page, live_server, "/console/logistics").open(seeded["agent"])
    anomalies.shows([stuck], [lost])
    anomalies.search("订单号 / 运单号", "SF1400000000001")
    anomalies.shows([stuck], [lost], url_has="q=SF1400000000001")
    anomalies.search("订单号 / 运单号", "")
    anomalies.choose("状态", "已解除")
    anomalies.shows([lost], [stuck], url_has="status=resolved")
    anomalies.choose("类型", "滞留中转站")
    anomalies.shows([], [stuck, lost], url_has="kind=stuck_at_hub")
    anomalies.choose("状态", "待跟进")
    anomalies.shows([stuck], [lost])
    anomalies.choose("类型", "全部")
    anomalies.choose("快递", "中通快递")
    anomalies.shows([], [stuck, lost], url_has="courier=zto")
    anomalies.choose("快递", "顺丰速运")
    anomalies.shows([stuck], [lost], url_has="courier=sf")
    anomalies.choose("快递", "全部")
    anomalies.shows([stuck], [lost])


def test_intercept_list_search_and_filters(live_server: LiveServer, browser_page: Any) -> None:
    def seed(session: Session) -> dict[str, Any]:
        held = make_order(session, source_id="260000000444")
        failed = make_order(session)
        make_intercept_row(session, created_at=utcnow(), shipment=make_shipment(session, order=held))
        make_intercept_row(
            session, created_at=utcnow(), shipment=make_shipment(session, order=failed), status="failed"
        )
        return {"agent": make_user(session).username, "held": held.id, "failed": failed.id}

    seeded = live_server.seed(seed)
    held, failed = f"/console/orders/{seeded['held']}", f"/console/orders/{seeded['failed']}"
    intercepts = ListPage(browser_page, live_server, "/console/logistics/intercepts").open(seeded["agent"])
    intercepts.search("订单号 / 运单号", "260000000444")
    intercepts.shows([held], [failed], url_has="q=260000000444")
    intercepts.search("订单号 / 运单号", "")
    intercepts.choose("状态", "拦截失败")
    intercepts.shows([failed], [held], url_has="status=failed")
    intercepts.choose("状态", "全部")
    intercepts.shows([held, failed], [])


def test_return_queue_search_and_filters(live_server: LiveServer, browser_page: Any) -> None:
    def seed(session: Session) -> dict[str, Any]:
        north, south = make_shop(session, name="北店"), make_shop(session, name="南店")
        back = make_return_request(session, order=make_order(session, shop=north, source_id="260000000555"))
        swap = make_return_request(session, order=make_order(session, shop=south), kind=RequestKind.EXCHANGE)
        closed = make_return_request(session, order=make_order(session, shop=south))
        closed.status = RequestStatus.REJECTED
        return {"agent": make_user(session).username, "back": back.id, "swap": swap.id, "closed": closed.id}

    seeded = live_server.seed(seed)
    back, swap, closed = (f"/console/returns/{seeded[k]}" for k in ("back", "swap", "closed"))
    returns = ListPage(browser_page, live_server, "/console/returns").open(seeded["agent"])
    returns.shows([back, swap], [closed])
    returns.search("订单号", "260000000555")
    returns.shows([back], [swap, closed], url_has="q=260000000555")
    returns.search("订单号", "")
    returns.choose("状态", "已驳回")
    returns.shows([closed], [back, swap], url_has="status=rejected")
    returns.choose("状态", "待处理 + 挽留中")
    returns.choose("类型", "换货")
    returns.shows([swap], [back], url_has="kind=exchange")
    returns.choose("类型", "全部")
    returns.choose("店铺", "北店")
    returns.shows([back], [swap], url_has="shop_id=")
    returns.choose("店铺", "全部")
    returns.shows([back, swap], [closed])


def test_review_inbox_search_and_filters(live_server: LiveServer, browser_page: Any) -> None:
    def seed(session: Session) -> dict[str, Any]:
        north, south = make_shop(session, name="北店"), make_shop(session, name="南店")
        blanket = make_sku(session, shop=north, code="BLK-01", name="羊毛毯")
        order = make_order(session, shop=north, source_id="260000000666")
        praise = make_review(
            session, shop=north, sku=blanket, order_no=order.source_id, stars=5, text="很暖和"
        )
        praise.reply_status = ReplyStatus.POSTED
        angry = make_review(session, shop=south, stars=1, text="质量太差,用一次就坏了,退货")
        mixed = make_review(session, shop=south, stars=5, text="质量太差,发霉了")
        return {
            "agent": make_user(session).username,
            "praise": praise.id,
            "angry": angry.id,
            "mixed": mixed.id,
        }

    seeded = live_server.seed(seed)
    praise, angry, mixed = (f"/console/reviews/{seeded[k]}" for k in ("praise", "angry", "mixed"))
    reviews = ListPage(browser_page, live_server, "/console/reviews").open(seeded["agent"])
    reviews.search("订单号", "260000000666")
    reviews.shows([praise], [angry, mixed], url_has="q=260000000666")
    reviews.search("订单号", "")
    reviews.choose("店铺", "南店")
    reviews.shows([angry, mixed], [praise], url_has="shop_id=")
    reviews.choose("店铺", "全部")
    reviews.choose("星级", "1 星")
    reviews.shows([angry], [praise, mixed], url_has="stars=1")
    reviews.choose("星级", "全部")
    reviews.choose("分拣", "好评")
    reviews.shows([praise], [angry], url_has="triage=positive")
    reviews.choose("分拣", "全部")
    reviews.choose("五星差评", "是")
    reviews.shows([mixed], [praise, angry], url_has="mismatch=true")
    reviews.choose("五星差评", "全部")
    reviews.choose("商品", "BLK-01 羊毛毯")
    reviews.shows([praise], [angry, mixed], url_has="sku_id=")
    reviews.choose("商品", "全部")
    reviews.choose("已回复", "已回复")
    reviews.shows([praise], [angry, mixed], url_has="replied=true")
    reviews.choose("已回复", "全部")
    reviews.shows([praise, angry, mixed], [])
