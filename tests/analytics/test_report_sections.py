"""The 复盘's sections from seed 001: each per platform / shop / group / agent, each ending with
归因及提升 computed from the rows built here."""

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy.orm import Session

from aftersales.analytics.drill import drill
from aftersales.analytics.models import MetricTarget
from aftersales.analytics.report.complaints import complaint_tickets
from aftersales.analytics.report.quality import (
    departments,
    qc_ability,
    qc_alerts,
    qc_emotions,
    qc_risks,
    qc_scenes,
)
from aftersales.analytics.report.satisfaction import (
    rating_sources,
    satisfaction_goals,
    survey_results,
    unhappy_scenes,
)
from aftersales.analytics.report.service import (
    alert_completion,
    build_report,
    conversions,
    reception_overview,
    save_action,
)
from aftersales.analytics.results import Analysis, DataTable
from aftersales.analytics.scope import Scope
from aftersales.auth.models import User
from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.qc.models import AlertStatus
from aftersales.tickets.service import group_by_code
from tests.analytics.conftest import PEAK, at
from tests.builders import (
    make_alert_row,
    make_chat_row,
    make_finding_row,
    make_invitation_row,
    make_order,
    make_qc_row,
    make_shop,
    make_survey,
    make_ticket_row,
    make_user,
)

OVERALL, RESOLVED, ATTITUDE = "您对本次服务的整体满意度", "您的问题是否已经解决", "客服的服务态度"


def table(analysis: Analysis, key: str) -> DataTable:
    return next(t for t in analysis.tables if t.key == key)


def qc_chat(session: Session, shop: Shop, agent: User, *, score: int, hour: int = 10, **qc: object) -> object:
    chat = make_chat_row(session, shop=shop, started_at=at(hour), agent_id=agent.id)
    return make_qc_row(session, chat=chat, score=score, **qc)


@pytest.fixture
def shop(session: Session) -> Shop:
    return make_shop(session, name="旗舰店")


class TestServiceAbility:
    def test_worst_agent_is_named_with_the_checkpoint_it_failed_most(
        self, session: Session, shop: Shop
    ) -> None:
        strong, weak = make_user(session, display_name="小王"), make_user(session, display_name="小李")
        for _ in range(5):
            qc_chat(session, shop, strong, score=90)
        for n in range(5):
            result = qc_chat(session, shop, weak, score=50 if n < 4 else 80)
            make_finding_row(session, result=result, code="first_response")
        analysis = qc_ability(session, Scope(PEAK, PEAK))
        agents = table(analysis, "qc_ability_agent")
        assert ["小李", 5, "56", "20.0%", "首响及时(5)"] in agents.rows
        assert any(
            c.startswith("客服中「小李」合格率最低(20.0%),主要失分项「首响及时」") for c in analysis.causes
        )
        assert analysis.action.startswith("以「首响及时」为培训主题")

    def test_reason_cell_opens_the_sessions_that_failed_that_checkpoint(
        self, session: Session, shop: Shop
    ) -> None:
        agent = make_user(session)
        failed = qc_chat(session, shop, agent, score=40)
        make_finding_row(session, result=failed, code="greeting")
        passed = qc_chat(session, shop, agent, score=95)
        make_finding_row(session, result=passed, code="greeting", passed=True)
        scope = Scope(PEAK, PEAK)
        agents = table(qc_ability(session, scope), "qc_ability_agent")
        link = agents.links[(0, 4)]
        filters = {
            k: v[0] for k, v in parse_qs(urlparse(link).query).items() if k in ("agent_id", "checkpoint")
        }
        _title, _columns, rows, total = drill(session, kind="qc_results", scope=scope, filters=filters)
        assert total == 1
        assert rows[0][0].endswith(str(failed.session_id))  # type: ignore[attr-defined]

    def test_chats_without_an_agent_are_not_ranked_against_agents(self, session: Session, shop: Shop) -> None:
        """Bot-only chats pass every applicable checkpoint: 未分配 is nobody's best result."""
        agent = make_user(session, display_name="小吴")
        qc_chat(session, shop, agent, score=40)
        make_qc_row(session, chat=make_chat_row(session, shop=shop, started_at=at(10)), score=100)
        analysis = qc_ability(session, Scope(PEAK, PEAK))
        assert not any("未分配" in c for c in analysis.causes)

    def test_a_groups_session_count_opens_as_many_sessions(self, session: Session, shop: Shop) -> None:
        """The report's numbers match the drill-down: a group's QC'd chats, through its agents."""
        vip, other = make_user(session), make_user(session)
        for agent, code, n in ((vip, "vip", 2), (other, "aftersales", 1)):
            make_ticket_row(
                session,
                created_at=at(8, day=1),
                assignee_id=agent.id,
                group_id=group_by_code(session, code).id,
            )
            for _ in range(n):
                qc_chat(session, shop, agent, score=80)
        scope = Scope(PEAK, PEAK)
        groups = table(qc_ability(session, scope), "qc_ability_group")
        r = next(i for i, row in enumerate(groups.rows) if row[0] == "VIP组")
        query = parse_qs(urlparse(groups.links[(r, 1)]).query)
        filters = {k: v[0] for k, v in query.items() if k == "group_id"}
        assert groups.rows[r][1] == drill(session, kind="qc_results", scope=scope, filters=filters)[3] == 2


class TestScenesRisksEmotions:
    def test_top_checkpoints_are_counted_per_agent_and_named_as_training_topics(
        self, session: Session, shop: Shop
    ) -> None:
        agent = make_user(session, display_name="小赵")
        for code in ("closing", "closing", "greeting"):
            make_finding_row(session, result=qc_chat(session, shop, agent, score=70), code=code)
        analysis = qc_scenes(session, Scope(PEAK, PEAK))
        rows = table(analysis, "qc_scenes_agent").rows
        assert rows[:2] == [["小赵", "结束语", 2, "66.7%"], ["小赵", "问候语", 1, "33.3%"]]
        assert analysis.action.startswith("培训主题:结束语、问候语")

    def test_bot_only_chats_do_not_set_the_training_topic(self, session: Session, shop: Shop) -> None:
        agent = make_user(session)
        make_finding_row(session, result=qc_chat(session, shop, agent, score=70), code="greeting")
        for _ in range(3):
            bot = make_qc_row(session, chat=make_chat_row(session, shop=shop, started_at=at(10)), score=90)
            make_finding_row(session, result=bot, code="closing")
        analysis = qc_scenes(session, Scope(PEAK, PEAK))
        assert analysis.action.startswith("培训主题:问候语;")

    def test_risk_items_are_the_alert_kinds_of_each_subject(self, session: Session, shop: Shop) -> None:
        agent = make_user(session, display_name="小钱")
        for kinds in (["bad_review"], ["bad_review", "regulator"], ["escalation"]):
            chat = make_chat_row(session, shop=shop, started_at=at(11), agent_id=agent.id)
            make_alert_row(
                session, chat=chat, level="high" if "regulator" in kinds else "medium", kinds=kinds
            )
        analysis = qc_risks(session, Scope(PEAK, PEAK))
        assert table(analysis, "qc_risks_agent").rows == [
            ["小钱", 3, 1, 2, 0, "「差评威胁」、「向12315/消协/市场监管投诉」"]
        ]
        assert analysis.causes[0].startswith("风险项以「差评威胁」(50.0%)")

    def test_main_negative_emotion_sets_the_proposed_action(self, session: Session, shop: Shop) -> None:
        agent = make_user(session)
        for label, polarity in (
            ("物流", "negative"),
            ("物流", "negative"),
            ("态度", "negative"),
            ("满意", "positive"),
        ):
            qc_chat(session, shop, agent, score=80, emotion_label=label, emotion_polarity=polarity)
        analysis = qc_emotions(session, Scope(PEAK, PEAK))
        assert table(analysis, "qc_emotions_shop").rows == [
            ["旗舰店", 4, 1, 3, "75.0%", "对发货物流不满", "满意"]
        ]
        assert analysis.causes[0] == "负面情绪以「对发货物流不满」为主,占负面会话 66.7%"
        assert analysis.action.startswith("与物流部对接")


class TestDepartments:
    def test_product_complaints_make_the_strongest_tie(self, session: Session, shop: Shop) -> None:
        agent = make_user(session)
        for n in range(4):
            order = make_order(session, shop=shop)
            chat = make_chat_row(session, shop=shop, started_at=at(10), agent_id=agent.id, order_id=order.id)
            make_qc_row(session, chat=chat, score=70, emotion_label="产品" if n < 2 else "物流")
            if n == 0:
                make_ticket_row(session, shop=shop, order_id=order.id, created_at=at(12), type="complaint")
        analysis = departments(session, Scope(PEAK, PEAK))
        rows = table(analysis, "qc_departments_shop").rows
        assert ["旗舰店", "对产品不满", "产品部", 2, "50.0%", "50.0%", 2.0] in rows
        assert ["旗舰店", "对发货物流不满", "物流部", 2, "50.0%", "0.0%", 0.0] in rows
        assert "「对产品不满」与投诉关联度最高(投诉率为整体的 2.0 倍),需重点关注" in analysis.causes

    def test_no_tie_is_claimed_when_no_item_beats_the_overall_rate(
        self, session: Session, shop: Shop
    ) -> None:
        agent = make_user(session)
        for label in ("物流", "中性"):
            order = make_order(session, shop=shop)
            chat = make_chat_row(session, shop=shop, started_at=at(10), agent_id=agent.id, order_id=order.id)
            make_qc_row(session, chat=chat, score=70, emotion_label=label)
            if label == "中性":
                make_ticket_row(session, shop=shop, order_id=order.id, created_at=at(12), type="complaint")
        analysis = departments(session, Scope(PEAK, PEAK))
        assert analysis.causes[-1] == "各协同项会话的投诉率均不高于整体,与投诉无明显关联"


class TestAlerts:
    def test_alerts_raised_today_count_in_the_period_of_their_chat(
        self, session: Session, shop: Shop
    ) -> None:
        """An import of past chats raises their alerts today; the 复盘 of that period must show them."""
        chat = make_chat_row(session, shop=shop, started_at=at(10))
        make_alert_row(session, chat=chat, raised_at=utcnow())
        scope = Scope(PEAK, PEAK)
        summary = table(alert_completion(session, scope), "alerts")
        assert summary.rows[-1] == ["质检告警", 1, 0, "0.0%"]

    def test_completion_and_top_items_per_level(self, session: Session, shop: Shop) -> None:
        for level, closed in (("high", True), ("high", False), ("low", True)):
            chat = make_chat_row(session, shop=shop, started_at=at(10))
            extra = {"closed_at": at(12), "status": AlertStatus.CLOSED} if closed else {}
            make_alert_row(session, chat=chat, level=level, kinds=["legal"], **extra)
        analysis = qc_alerts(session, Scope(PEAK, PEAK))
        assert table(analysis, "qc_alert_levels").rows == [
            ["初级", 1, "33.3%", 1, "100.0%", "「法律威胁」"],
            ["中级", 0, "0.0%", 0, "—", "—"],
            ["高级", 2, "66.7%", 1, "50.0%", "「法律威胁」"],
        ]
        assert "初级告警完结率最高(100.0%),高级告警最低(50.0%)" in analysis.causes
        assert analysis.action.startswith("未完结告警 1 个(其中高级 1 个)")


class TestSatisfaction:
    def test_goal_missed_and_drop_against_the_previous_period(self, session: Session, shop: Shop) -> None:
        agent = make_user(session, display_name="小孙")
        for day, stars in ((11, 5), (11, 2), (10, 5), (10, 5)):
            make_invitation_row(
                session, shop=shop, eligible_at=at(9, day=day), agent_id=agent.id, stars=stars
            )
        session.add(MetricTarget(metric="satisfaction_rate", level="agent", subject="", value=0.9))
        analysis = satisfaction_goals(session, Scope(PEAK, PEAK))
        assert table(analysis, "satisfaction_goals_agent").rows == [
            ["小孙", 2, "50.0%", "100.0%", "下降 50.0 个百分点", "90.0%", "未达成", 0, "—"]
        ]
        assert analysis.causes[0] == "整体满意率 50.0%,未达成目标 90.0%,较上期下降 50.0 个百分点"
        assert "小孙" in analysis.action

    def test_self_rated_tickets_are_told_apart_from_invited_ratings(
        self, session: Session, shop: Shop
    ) -> None:
        agent = make_user(session, display_name="小周")
        make_invitation_row(
            session,
            shop=shop,
            eligible_at=at(9),
            agent_id=agent.id,
            invited_at=at(9),
            stars=5,
            rated_at=at(10),
        )
        make_ticket_row(
            session, shop=shop, created_at=at(8), assignee_id=agent.id, rating_stars=2, rated_at=at(12)
        )
        analysis = rating_sources(session, Scope(PEAK, PEAK))
        assert analysis.tables[0].rows == [["小周", 2, 1, 1, "50.0%", "100.0%", "0.0%", "50.0%"]]

    def test_survey_results_per_question_hand_counted(self, session: Session, shop: Shop) -> None:
        """Agent 小郑: 整体 5/4/2, 解决 是/是/否, 态度 5/3/1; 小冯: 5, 是, 4; the day before 小郑 5."""
        a, b = make_user(session, display_name="小郑"), make_user(session, display_name="小冯")
        surveys = [(a, 5, True, 5), (a, 4, True, 3), (a, 2, False, 1), (b, 5, True, 4)]
        for agent, overall, resolved, attitude in surveys:
            answers = {OVERALL: overall, RESOLVED: resolved, ATTITUDE: attitude}
            make_survey(session, shop=shop, answered_at=at(10), agent_id=agent.id, answers=answers)
        make_survey(session, shop=shop, answered_at=at(10, day=10), agent_id=a.id, answers={OVERALL: 5})
        analysis = survey_results(session, Scope(PEAK, PEAK))
        rows = {row[0]: row[1:] for row in table(analysis, "survey_questions").rows}
        assert rows == {
            OVERALL: [4, "4.00 星", "75.0%", "100.0%", "下降 25.0 个百分点"],
            RESOLVED: [4, "是 75.0%", "75.0%", "—", "—"],
            ATTITUDE: [4, "3.25 星", "50.0%", "—", "—"],
        }
        agents = table(analysis, "survey_results_agent")
        assert agents.columns[:3] == ["对象", "问卷数", "整体满意率"]
        assert [row[:3] for row in agents.rows] == [["小郑", 3, "66.7%"], ["小冯", 1, "100.0%"]]
        assert analysis.causes[0] == "问卷 4 份,整体满意率 75.0%,较上期下降 25.0 个百分点"
        assert "「客服的服务态度」(50.0%)" in analysis.causes[1]

    def test_survey_counts_open_as_many_answered_surveys(self, session: Session, shop: Shop) -> None:
        """The 复盘's numbers match the drill-down: an agent's and a shop's 问卷数."""
        agent = make_user(session, display_name="小郑")
        for overall in (5, 2):
            make_survey(session, shop=shop, answered_at=at(10), agent_id=agent.id, answers={OVERALL: overall})
        make_survey(session, shop=shop, answered_at=at(11), answers={OVERALL: 4})
        scope = Scope(PEAK, PEAK)
        analysis = survey_results(session, scope)
        for level, expected in (("agent", 2), ("shop", 3)):
            levels = table(analysis, f"survey_results_{level}")
            r = next(i for i, row in enumerate(levels.rows) if row[0] in ("小郑", "旗舰店"))
            query = parse_qs(urlparse(levels.links[(r, 1)]).query)
            filters = {k: v[0] for k, v in query.items() if k in ("agent_id", "shop_id")}
            _title, _columns, rows, total = drill(session, kind="surveys", scope=scope, filters=filters)
            assert levels.rows[r][1] == total == expected
        goals = table(satisfaction_goals(session, scope), "satisfaction_goals_agent")
        assert goals.rows[0][0] == "小郑"
        assert goals.rows[0][7:] == [2, "50.0%"]
        assert rows[0][1][1] == "5 星"

    def test_unhappy_scenes_count_only_negative_chats(self, session: Session, shop: Shop) -> None:
        agent = make_user(session)
        unhappy = qc_chat(session, shop, agent, score=60, emotion_polarity="negative", emotion_label="态度")
        make_finding_row(session, result=unhappy, code="emotion_resolved")
        make_finding_row(session, result=unhappy, code="closing", overruled=True)
        calm = qc_chat(session, shop, agent, score=60)
        make_finding_row(session, result=calm, code="greeting")
        analysis = unhappy_scenes(session, Scope(PEAK, PEAK))
        assert sorted(analysis.tables[0].rows) == [
            ["结束语", "人工复核", 1, "100.0%"],
            ["顾客情绪安抚", "AI", 1, "100.0%"],
        ]


class TestComplaints:
    def test_complaints_per_category_with_unresolved_named(self, session: Session, shop: Shop) -> None:
        make_ticket_row(
            session,
            shop=shop,
            created_at=at(9),
            type="complaint",
            category="商品问题",
            subcategory="质量问题",
        )
        make_ticket_row(
            session,
            shop=shop,
            created_at=at(9),
            type="complaint",
            category="商品问题",
            subcategory="质量问题",
            resolved_at=at(13),
        )
        make_ticket_row(session, shop=shop, created_at=at(9), type="complaint", category="物流问题")
        make_ticket_row(session, shop=shop, created_at=at(9), type="return", category="物流问题")
        analysis = complaint_tickets(session, Scope(PEAK, PEAK))
        assert analysis.tables[0].rows[0] == ["商品问题", "质量问题", "产品部", 2, "66.7%", 1, "50.0%", "4"]
        assert "未解决投诉集中在「商品问题/质量问题」(1 张)、「物流问题」(1 张)" in analysis.causes
        assert analysis.action.startswith("向产品部反馈")


class TestEditedAction:
    def test_saved_action_replaces_the_derived_one_in_this_report_only(
        self, session: Session, shop: Shop
    ) -> None:
        lead = make_user(session)
        scope = Scope(PEAK, PEAK)
        save_action(session, scope=scope, section="qc_alerts", text="周一前清完高级告警", user_id=lead.id)
        ours = next(s for s in build_report(session, scope).sections if s.key == "qc_alerts")
        other = Scope(scope.start - timedelta(days=1), scope.end)
        theirs = next(s for s in build_report(session, other).sections if s.key == "qc_alerts")
        assert (ours.action, ours.edited) == ("周一前清完高级告警", True)
        assert theirs.edited is False

    def test_clearing_the_text_restores_the_derived_action(self, session: Session, shop: Shop) -> None:
        scope = Scope(PEAK, PEAK)
        save_action(session, scope=scope, section="qc_alerts", text="先写一条", user_id=None)
        save_action(session, scope=scope, section="qc_alerts", text="  ", user_id=None)
        section = next(s for s in build_report(session, scope).sections if s.key == "qc_alerts")
        assert section.edited is False

    def test_a_section_without_attribution_cannot_take_an_action(self, session: Session) -> None:
        with pytest.raises(InvalidInputError) as raised:
            save_action(session, scope=Scope(PEAK, PEAK), section="funnel", text="x", user_id=None)
        assert raised.value.field == "section"


class TestReceptionAndConversion:
    def test_buyers_count_as_converted_only_when_they_order_within_the_window(
        self, session: Session, shop: Shop
    ) -> None:
        agent = make_user(session, display_name="小郑")
        late, early, converted = (make_order(session, shop=shop, ordered_at=at(h)) for h in (10, 8, 10))
        for order in (late, early, converted):
            make_chat_row(
                session, shop=shop, started_at=at(9), agent_id=agent.id, customer_id=order.customer_id
            )
        late.ordered_at = at(9) + timedelta(days=3, minutes=1)  # 3 days after asking: too late
        session.flush()
        by_agent = table(conversions(session, Scope(PEAK, PEAK)), "conversion_agent")
        assert by_agent.rows == [["小郑", 3, 1, "33.3%", 1, "¥299.00"]]

    def test_each_sub_account_shows_its_chats_and_transfers(self, session: Session, shop: Shop) -> None:
        agent = make_user(session, display_name="小冯")
        make_chat_row(session, shop=shop, started_at=at(9), agent_id=agent.id, handling="transferred")
        make_chat_row(
            session,
            shop=shop,
            started_at=at(9),
            agent_id=agent.id,
            handling="human",
            first_response_seconds=10,
        )
        make_chat_row(session, shop=shop, started_at=at(9), handling="bot_only")
        analysis = reception_overview(session, Scope(PEAK, PEAK))
        assert table(analysis, "reception_agents").rows == [["小冯", 2, 1, "10", "—"]]
        assert (
            analysis.causes[0] == "纯机器人接待 33.3%,机器人转人工 33.3%(机器人接起的会话中 50.0% 转了人工)"
        )
