"""The course catalogue: a shop's own courses added, edited and retired; the defaults read-only;
usage counted from the plans (SLOW fails 结束语 and 首响, both taught by 售后接待流程)."""

from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.kit.errors import ConflictError, InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.qc import courses, training_plans
from aftersales.qc.training_models import TrainingCourse
from tests.builders import make_chat, make_shop, make_user

SLOW = [("customer", 0, "在吗"), ("agent", 40, "您好")]


def period() -> tuple[datetime, datetime]:
    return utcnow() - timedelta(days=1), utcnow() + timedelta(hours=1)


def own_course(session: Session, **overrides: object) -> TrainingCourse:
    fields: dict[str, object] = {
        "shop_id": make_shop(session).id,
        "title": "大促保价话术",
        "summary": "双12 降价后的退差价沟通",
        "checkpoints": ["explained_policy"],
        "actor_id": make_user(session, role=Role.SUPERVISOR).id,
        **overrides,
    }
    return courses.create_course(session, **fields)  # type: ignore[arg-type]


def usage_of(session: Session, title: str) -> courses.CourseUsage:
    return next(r for r in courses.catalogue(session) if r.course.title == title)


class TestCatalogue:
    def test_counts_agents_and_completion_from_the_plans(self, session: Session) -> None:
        agents = [make_user(session, role=Role.AGENT) for _ in range(2)]
        for agent in agents:
            make_chat(session, SLOW, agent_id=agent.id)
        since, until = period()
        plans = training_plans.generate(session, since=since, until=until, created_by=None)
        first = training_plans.topics(session, [plans[0].id])[plans[0].id][0]
        training_plans.complete_topic(session, topic_id=first.id, user=agents[0])
        usage = usage_of(session, "售后接待流程")
        assert (usage.agents, usage.topics, usage.completed) == (2, 4, 1)
        assert usage.completion == 0.25

    def test_a_course_no_plan_uses_has_no_completion(self, session: Session) -> None:
        own_course(session)
        assert usage_of(session, "大促保价话术").completion is None

    def test_retired_courses_are_listed_last(self, session: Session) -> None:
        course = own_course(session)
        courses.retire_course(session, course_id=course.id, actor_id=course.updated_by or 0)
        assert courses.catalogue(session)[-1].course.id == course.id


class TestEditing:
    def test_a_shop_course_needs_a_checkpoint(self, session: Session) -> None:
        with pytest.raises(InvalidInputError, match="至少选择一个"):
            own_course(session, checkpoints=[])

    def test_an_unknown_checkpoint_is_named(self, session: Session) -> None:
        with pytest.raises(InvalidInputError, match="没有这个质检点: nope"):
            own_course(session, checkpoints=["nope"])

    def test_the_defaults_cannot_be_edited(self, session: Session) -> None:
        default = courses.catalogue(session)[0].course
        with pytest.raises(ConflictError):
            courses.update_course(
                session,
                course_id=default.id,
                title="改名",
                summary="",
                checkpoints=["greeting"],
                actor_id=make_user(session, role=Role.SUPERVISOR).id,
            )

    def test_a_retired_course_is_not_picked_for_new_plans(self, session: Session) -> None:
        course = own_course(session, checkpoints=["first_response"])
        session.execute(delete(TrainingCourse).where(TrainingCourse.shop_id.is_(None)))
        assert training_plans.course_for(session)["first_response"].id == course.id
        courses.retire_course(session, course_id=course.id, actor_id=course.updated_by or 0)
        assert "first_response" not in training_plans.course_for(session)

    def test_retiring_twice_keeps_the_first_time(self, session: Session) -> None:
        course = own_course(session)
        actor = course.updated_by or 0
        first = courses.retire_course(session, course_id=course.id, actor_id=actor).retired_at
        assert courses.retire_course(session, course_id=course.id, actor_id=actor).retired_at == first


class TestApi:
    def test_a_supervisor_adds_edits_and_retires_a_course(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers(Role.SUPERVISOR)
        body = {"shop_id": make_shop(session).id, "title": "少件处理", "checkpoints": ["offered_solution"]}
        created = client.post("/api/qc/courses", json=body, headers=headers)
        assert created.status_code == 201
        course_id = created.json()["id"]
        edited = client.put(
            f"/api/qc/courses/{course_id}",
            json={"title": "少件补发处理", "checkpoints": ["offered_solution", "promise"]},
            headers=headers,
        )
        assert edited.json()["checkpoints"] == ["offered_solution", "promise"]
        retired = client.post(f"/api/qc/courses/{course_id}/retire", headers=headers)
        assert retired.json()["retired_at"] is not None

    def test_agents_read_but_may_not_add(self, session: Session, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        headers = auth_headers(Role.AGENT)
        assert len(client.get("/api/qc/courses", headers=headers).json()) == 4
        body = {"shop_id": make_shop(session).id, "title": "少件处理", "checkpoints": ["promise"]}
        assert client.post("/api/qc/courses", json=body, headers=headers).status_code == 403

    def test_an_unknown_checkpoint_is_a_chinese_422(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        body = {"shop_id": make_shop(session).id, "title": "少件处理", "checkpoints": ["nope"]}
        response = client.post("/api/qc/courses", json=body, headers=auth_headers(Role.SUPERVISOR))
        assert response.status_code == 422
        assert "没有这个质检点" in response.json()["detail"]


class TestConsole:
    def test_the_page_lists_the_defaults_with_their_checkpoints(
        self, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        page = client.get("/console/qc/training/courses", headers=auth_headers(Role.SUPERVISOR))
        assert "售后处理流程标准" in page.text
        assert "默认课程" in page.text

    def test_a_course_without_checkpoints_shows_the_form_again(
        self, session: Session, client: TestClient, auth_headers
    ) -> None:  # type: ignore[no-untyped-def]
        page = client.post(
            "/console/qc/training/courses",
            data={"shop_id": str(make_shop(session).id), "title": "少件处理"},
            headers=auth_headers(Role.SUPERVISOR),
        )
        assert page.status_code == 422
        assert "请至少选择一个课程训练的质检点" in page.text

    def test_agents_may_not_open_it(self, client: TestClient, auth_headers) -> None:  # type: ignore[no-untyped-def]
        assert client.get("/console/qc/training/courses", headers=auth_headers(Role.AGENT)).status_code == 403
