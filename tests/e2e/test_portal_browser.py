"""The customer portal's three-step flows and the satisfaction survey in headless Chromium at a
phone's viewport (390x844)."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from aftersales.orders.models import OrderStatus
from aftersales.selfservice import surveys
from aftersales.selfservice.access import portal_path, sign_survey
from tests.builders import make_order, make_shipment, make_ticket
from tests.builders.selfservice import PNG
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _shipped_order(session: Session) -> dict[str, Any]:
    order = make_order(session, status=OrderStatus.SHIPPED)
    make_shipment(session, order=order)
    return {"path": portal_path(order.id)}


def _unshipped_order(session: Session) -> dict[str, Any]:
    order = make_order(session, status=OrderStatus.PAID)
    return {"path": portal_path(order.id)}


def _open(page: Any, live_server: LiveServer, seeded: dict[str, Any]) -> None:
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{seeded['path']}")
    page.get_by_role("heading", name="我要办理").wait_for()


def _fits_the_screen(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_customer_applies_for_a_return_with_self_send_in_three_steps(
    live_server: LiveServer, browser_page: Any
) -> None:
    seeded = live_server.seed(_shipped_order)
    page = browser_page
    _open(page, live_server, seeded)
    page.get_by_role("link", name="退货退款").click()
    page.get_by_label("售后原因").select_option("not_fit")
    page.get_by_label("自行寄回").check()
    assert _fits_the_screen(page)
    page.get_by_role("button", name="提交申请").click()
    assert page.get_by_test_id("request-status").inner_text() == "已提交"
    assert "寄回地址" in page.locator("main").inner_text()
    assert _fits_the_screen(page)


def test_customer_changes_the_address_before_shipping(live_server: LiveServer, browser_page: Any) -> None:
    seeded = live_server.seed(_unshipped_order)
    page = browser_page
    _open(page, live_server, seeded)
    page.get_by_role("link", name="修改收货地址").click()
    page.get_by_label("收货人").fill("李四")
    page.get_by_label("联系电话").fill("13911112222")
    page.get_by_label("省份").fill("上海市")
    page.get_by_label("城市").fill("上海市")
    page.get_by_label("区/县").fill("浦东新区")
    page.get_by_label("详细地址").fill("世纪大道 100 号")
    page.get_by_role("button", name="提交新地址").click()
    assert page.get_by_test_id("request-status").inner_text() == "已提交"
    assert page.get_by_test_id("expected-by").is_visible()


def test_customer_registers_a_company_invoice_after_fixing_the_tax_id(
    live_server: LiveServer, browser_page: Any
) -> None:
    seeded = live_server.seed(_shipped_order)
    page = browser_page
    _open(page, live_server, seeded)
    page.get_by_role("link", name="发票登记").click()
    page.get_by_label("企业", exact=True).check()
    page.get_by_label("发票抬头").fill("杭州某某科技有限公司")
    page.get_by_label("税号(企业必填,18 位统一社会信用代码)").fill("12345")
    page.get_by_role("button", name="提交发票信息").click()
    assert "税号格式不正确" in page.get_by_role("alert").inner_text()
    page.get_by_label("税号(企业必填,18 位统一社会信用代码)").fill("91350100M000100Y43")
    page.get_by_role("button", name="提交发票信息").click()
    assert page.get_by_test_id("request-status").inner_text() == "已提交"


def _return_with_photo(page: Any, live_server: LiveServer, photo: Path) -> None:
    """Step 1 and 2 of a damaged-goods return with one photo, submitted."""
    _open(page, live_server, live_server.seed(_shipped_order))
    page.get_by_role("link", name="退货退款").click()
    page.get_by_label("售后原因").select_option("damaged")
    page.get_by_label("自行寄回").check()
    page.get_by_label("上传照片(JPG/PNG/WebP/HEIC,每张不超过 5 MB,最多 6 张)").set_input_files([str(photo)])
    assert _fits_the_screen(page)
    page.get_by_role("button", name="提交申请").click()


def test_customer_attaches_photos_to_a_return_and_sees_them_counted(
    live_server: LiveServer, browser_page: Any, tmp_path: Path
) -> None:
    photo = tmp_path / "broken.png"
    photo.write_bytes(PNG)
    _return_with_photo(browser_page, live_server, photo)
    assert browser_page.get_by_test_id("request-status").inner_text() == "已提交"
    assert "已上传 1 张照片" in browser_page.locator("main").inner_text()


def test_photo_that_is_not_an_image_is_refused_in_the_browser(
    live_server: LiveServer, browser_page: Any, tmp_path: Path
) -> None:
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    _return_with_photo(browser_page, live_server, fake)
    assert "不是有效的图片" in browser_page.get_by_role("alert").inner_text()
    assert _fits_the_screen(browser_page)


def _surveyed_ticket(session: Session) -> dict[str, Any]:
    ticket = make_ticket(session, order=make_order(session))
    invitation = surveys.invite_for_ticket(session, ticket_id=ticket.id)
    return {"path": f"/portal/s/{sign_survey(invitation.id)}"}


def _answer(page: Any, question: str, choice: str) -> None:
    page.locator("fieldset", has_text=question).get_by_label(choice, exact=True).check()


def test_customer_answers_the_survey_of_a_resolved_ticket(live_server: LiveServer, browser_page: Any) -> None:
    seeded = live_server.seed(_surveyed_ticket)
    page = browser_page
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}{seeded['path']}")
    _answer(page, "整体满意度", "2 星")
    _answer(page, "是否已经解决", "否")
    _answer(page, "服务态度", "4 星")
    page.get_by_role("button", name="提交问卷").click()
    assert "请回答「处理速度」" in page.get_by_role("alert").last.inner_text()
    assert page.locator("fieldset", has_text="服务态度").get_by_label("4 星", exact=True).is_checked()
    _answer(page, "处理速度", "3 星")
    page.get_by_label("请填写").fill("退款还没到账")
    assert _fits_the_screen(page)
    page.get_by_role("button", name="提交问卷").click()
    thanks = page.get_by_test_id("survey-thanks").inner_text()
    assert "整体满意度为 2 星" in thanks
    assert "我们已安排客服跟进" in thanks
