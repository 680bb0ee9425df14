"""The knowledge base search, an agent's training plan, the course catalogue and a shop's
satisfaction questionnaire, in headless Chromium."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.time import utcnow
from aftersales.qc import training_plans
from tests.builders import make_article, make_chat, make_shop, make_user
from tests.builders.auth import PASSWORD
from tests.e2e.conftest import LiveServer

pytestmark = pytest.mark.browser

SLOW = [("customer", 0, "在吗"), ("agent", 40, "您好")]


def log_in(page: Any, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def seed_agent_and_policy(session: Session) -> str:
    make_article(session, title="双12 保价规则", body="付款后十五天内降价,可申请退差价,按实付金额计算。")
    return make_user(session, role=Role.AGENT).username


def test_agent_searches_the_knowledge_base(live_server: LiveServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    username = live_server.seed(seed_agent_and_policy)
    page = browser_page
    log_in(page, f"{live_server.url}/console/selfservice/knowledge", username)
    page.get_by_label("搜索标题和正文").fill("退差价怎么算")
    page.get_by_role("button", name="搜索").click()
    page.wait_for_url("**q=**")
    expect(page.locator("#kb-results")).to_contain_text("双12 保价规则")
    page.get_by_role("link", name="双12 保价规则").click()
    expect(page.locator("#kb-body")).to_contain_text("按实付金额计算")


def seed_agent_with_plan(session: Session) -> str:
    agent = make_user(session, role=Role.AGENT)
    for _ in range(2):
        make_chat(session, SLOW, agent_id=agent.id)
    training_plans.generate(
        session, since=utcnow() - timedelta(days=1), until=utcnow() + timedelta(hours=1), created_by=None
    )
    return agent.username


def test_agent_completes_a_topic_of_their_plan(live_server: LiveServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    username = live_server.seed(seed_agent_with_plan)
    page = browser_page
    log_in(page, f"{live_server.url}/console/qc/training/mine", username)
    plan = page.locator(".training-plan")
    expect(plan).to_contain_text("售后接待流程")
    expect(plan).to_contain_text("完成 0/2")
    plan.get_by_role("button", name="标记完成").first.click()
    expect(page.locator(".training-plan")).to_contain_text("完成 1/2")


def seed_supervisor_and_shop(session: Session) -> str:
    make_shop(session, name="旗舰店")
    return make_user(session, role=Role.SUPERVISOR).username


def test_supervisor_adds_edits_and_retires_a_shop_course(live_server: LiveServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    username = live_server.seed(seed_supervisor_and_shop)
    page = browser_page
    log_in(page, f"{live_server.url}/console/qc/training", username)
    page.get_by_role("link", name="课程目录").first.click()
    form = page.locator("#course-form")
    form.get_by_label("课程名称").fill("大促保价话术")
    form.get_by_label("政策解释正确").check()
    form.get_by_role("button", name="新增课程").click()
    row = page.locator("#course-table tr", has_text="大促保价话术")
    expect(row).to_contain_text("旗舰店")
    expect(row).to_contain_text("使用中")
    row.get_by_text("编辑").click()
    row.get_by_label("课程名称").fill("双12 保价话术")
    row.get_by_role("button", name="保存修改").click()
    row = page.locator("#course-table tr", has_text="双12 保价话术")
    row.get_by_role("button", name="停用").click()
    expect(page.locator("#course-table tr", has_text="双12 保价话术")).to_contain_text("已停用")


def test_supervisor_edits_a_shops_questionnaire(live_server: LiveServer, browser_page: Any) -> None:
    from playwright.sync_api import expect

    username = live_server.seed(seed_supervisor_and_shop)
    page = browser_page
    log_in(page, f"{live_server.url}/console/selfservice/surveys", username)
    expect(page.locator("h2").first).to_contain_text("使用默认问卷")
    page.get_by_label("第 4 题", exact=True).fill("处理速度是否满意")
    page.get_by_label("第 6 题", exact=True).fill("是否愿意再次购买")
    page.get_by_label("第 6 题类型").select_option("yes_no")
    page.get_by_role("button", name="保存为新版本").click()
    expect(page.locator("h2").first).to_contain_text("第 1 版")
    expect(page.get_by_label("第 6 题", exact=True)).to_have_value("是否愿意再次购买")
    page.get_by_role("button", name="恢复默认问卷").click()
    expect(page.locator("h2").first).to_contain_text("使用默认问卷")
