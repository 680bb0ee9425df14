"""A supervisor imports a Taobao order report in the browser: choose the file, read the preview
(which column fills which field, the dry run's counts and bad rows), confirm, see it stored."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.catalog.models import Platform
from tests.builders import make_shop, make_user
from tests.builders.auth import PASSWORD
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

COLUMNS = (
    "订单编号,买家会员名,订单状态,买家实际支付金额,收货人姓名,联系手机,收货地址,订单创建时间,订单付款时间"
)
ITEM_COLUMNS = "宝贝标题,宝贝总数量,物流单号,物流公司,店铺名称"
ROWS = [
    "3301,tb_buyer1,交易成功,199.00,张三,13800001111,浙江省 杭州市 西湖区 文三路1号,"
    "2026-11-11 00:01,2026-11-11 00:02",
    "3302,tb_buyer2,交易成功,九十九,李四,13800002222,江苏省 南京市 鼓楼区 中山路2号,"
    "2026-11-11 00:02,2026-11-11 00:03",
]
ITEMS = ["四件套,1,ZT3301,中通快递,棉棉旗舰店", "枕头,1,ZT3302,中通快递,棉棉旗舰店"]
TAOBAO = "".join(f"{a},{b}\n" for a, b in zip([COLUMNS, *ROWS], [ITEM_COLUMNS, *ITEMS], strict=True))


def seed(session: Session) -> dict[str, Any]:
    make_shop(session, name="棉棉旗舰店", platform=Platform.TAOBAO)
    return {"username": make_user(session, role=Role.SUPERVISOR).username}


def test_a_supervisor_previews_and_imports_a_taobao_report(
    live_server: LiveServer, browser_page: Any, tmp_path: Path
) -> None:
    seeded = live_server.seed(seed)
    report = tmp_path / "订单报表.csv"
    report.write_text(TAOBAO, encoding="utf-8-sig")
    page = browser_page
    page.goto(f"{live_server.url}/console/orders/import")
    page.get_by_label("用户名").fill(seeded["username"])
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_label("文件(CSV、TSV 或 XLSX)").set_input_files(str(report))
    page.get_by_role("button", name="预览").click()
    expect(page.get_by_test_id("import-errors")).to_contain_text("买家实际支付金额")
    expect(page.get_by_test_id("import-counts")).to_contain_text("1入库订单")
    page.get_by_role("button", name="确认导入").click()
    expect(page.get_by_role("heading", name="已导入")).to_be_visible()
    page.goto(f"{live_server.url}/console/orders?q=3301")
    expect(page.locator("#order-rows")).to_contain_text("3301")
