"""Training plans from crafted chats: SLOW fails 结束语 and 首响 (40 s); GOOD passes everything."""

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.kit.errors import InvalidInputError, PermissionDeniedError
from aftersales.kit.time import utcnow
from aftersales.qc import training_plans
from aftersales.qc.training_models import TrainingCourse, TrainingPlan
from tests.builders import make_chat, make_shop, make_user

SLOW = [("customer", 0, "在吗"), ("agent", 40, "您好")]
GOOD = [("customer", 0, "在吗"), ("agent", 5, "您好，还有其他问题随时联系")]


def period() -> tuple[datetime, datetime]:
    return utcnow() - timedelta(days=1), utcnow() + timedelta(hours=1)


def agent_with(session: Session, *chats: list[tuple[str, float, str]]) -> User:
    agent = make_user(session, role=Role.AGENT)
    shop = make_shop(session)
    for lines in chats:
        make_chat(session, lines, shop=shop, agent_id=agent.id)
    return agent


def plan_of(plans: list[TrainingPlan], agent: User) -> TrainingPlan:
    return next(p for p in plans if p.agent_id == agent.id)


class TestPlans:
    def test_default_catalogue_is_seed_004s_four_courses(self, session: Session) -> None:
        titles = session.scalars(select(TrainingCourse.title).order_by(TrainingCourse.id)).all()
        assert titles == ["售后接待流程", "售后话术FAQ及处理逻辑", "售后客服质检标准", "售后处理流程标准"]

    def test_topics_are_the_failed_checkpoints_with_course_and_examples(self, session: Session) -> None:
        agent = agent_with(session, SLOW, SLOW, GOOD)
        since, until = period()
        plan = plan_of(training_plans.generate(session, since=since, until=until, created_by=None), agent)
        topics = training_plans.topics(session, [plan.id])[plan.id]
        assert {(t.checkpoint, t.failures, t.course_code) for t in topics} == {
            ("closing", 2, "reception_flow"),
            ("first_response", 2, "reception_flow"),
        }
        assert all(len(t.example_sessions) == 2 for t in topics)

    def test_agent_without_failures_gets_no_plan(self, session: Session) -> None:
        agent = agent_with(session, GOOD)
        since, until = period()
        plans = training_plans.generate(session, since=since, until=until, created_by=None)
        assert agent.id not in {p.agent_id for p in plans}

    def test_period_must_end_after_it_starts(self, session: Session) -> None:
        since, until = period()
        with pytest.raises(InvalidInputError):
            training_plans.generate(session, since=until, until=since, created_by=None)


class TestMentoring:
    def test_tail_agent_is_paired_with_the_top_agent(self, session: Session) -> None:
        top = agent_with(session, GOOD, GOOD, GOOD)
        tail = agent_with(session, SLOW, SLOW, SLOW)
        since, until = period()
        plans = training_plans.generate(session, since=since, until=until, created_by=None)
        assert plan_of(plans, tail).mentor_id == top.id

    def test_agents_with_too_few_sessions_are_not_paired(self) -> None:
        scores = [training_plans.AgentScore(1, 5, 95.0), training_plans.AgentScore(2, 1, 40.0)]
        assert training_plans.pairings(scores) == {}

    def test_bottom_quarter_meets_top_quarter_worst_with_best(self) -> None:
        scores = [training_plans.AgentScore(i, 5, 100.0 - i) for i in range(1, 9)]
        assert training_plans.pairings(scores) == {8: 1, 7: 2}


class TestCompletion:
    def test_agent_completes_their_own_topic(self, session: Session) -> None:
        agent = agent_with(session, SLOW)
        since, until = period()
        plan = plan_of(training_plans.generate(session, since=since, until=until, created_by=None), agent)
        topic = training_plans.topics(session, [plan.id])[plan.id][0]
        assert training_plans.complete_topic(session, topic_id=topic.id, user=agent).completed_by == agent.id

    def test_another_agent_cannot_complete_it(self, session: Session) -> None:
        agent = agent_with(session, SLOW)
        since, until = period()
        plan = plan_of(training_plans.generate(session, since=since, until=until, created_by=None), agent)
        topic = training_plans.topics(session, [plan.id])[plan.id][0]
        with pytest.raises(PermissionDeniedError):
            training_plans.complete_topic(
                session, topic_id=topic.id, user=make_user(session, role=Role.AGENT)
            )


class TestTrainingConsole:
    def test_supervisor_generates_plans_for_a_period(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        agent_with(session, SLOW)
        headers = auth_headers(Role.SUPERVISOR)
        today = utcnow().date()
        client.post(
            "/console/qc/training",
            data={
                "period_start": (today - timedelta(days=1)).isoformat(),
                "period_end": (today + timedelta(days=1)).isoformat(),
            },
            headers=headers,
        )
        page = client.get("/console/qc/training", headers=headers)
        assert "售后接待流程" in page.text

    def test_agent_sees_only_their_own_plan(self, session: Session, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        other = agent_with(session, SLOW)
        since, until = period()
        training_plans.generate(session, since=since, until=until, created_by=None)
        page = client.get("/console/qc/training/mine", headers=auth_headers(Role.AGENT))
        assert page.status_code == 200
        assert other.display_name not in page.text

    def test_agent_cannot_open_the_supervisors_page(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        assert client.get("/console/qc/training", headers=auth_headers(Role.AGENT)).status_code == 403
