"""The course catalogue (课程目录) as supervisors keep it: the shared default courses of seed 004
plus each shop's own, with how much the training plans use each one.

The default courses (``shop_id`` NULL) are read-only: every shop's plans rely on them. A shop's
course is added, edited and retired here; retiring keeps the row so plans made earlier still show
what was taught, while ``training_plans.course_for`` stops picking it for new plans. A course
must teach at least one known checkpoint, otherwise no plan could ever pick it.
"""

import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import ConflictError, InvalidInputError, NotFoundError
from aftersales.kit.refs import require_refs
from aftersales.kit.time import utcnow
from aftersales.qc.checkpoints import BY_CODE
from aftersales.qc.training_models import TrainingCourse, TrainingPlan, TrainingTopic
from aftersales.qc.training_plans import courses


@dataclass(frozen=True)
class CourseUsage:
    """How the plans use one course: agents who have it, its topics and how many are done."""

    course: TrainingCourse
    agents: int
    topics: int
    completed: int

    @property
    def completion(self) -> float | None:
        return self.completed / self.topics if self.topics else None


def catalogue(session: Session, *, shop_id: int | None = None) -> list[CourseUsage]:
    """Every course (the defaults first, then shops' own, retired last), with its plan usage;
    ``shop_id`` narrows the shops' own courses to that shop."""
    usage = {
        code: (agents, topics, done)
        for code, agents, topics, done in session.execute(
            select(
                TrainingTopic.course_code,
                func.count(func.distinct(TrainingPlan.agent_id)),
                func.count(),
                func.count(TrainingTopic.completed_at),
            )
            .join(TrainingPlan, TrainingPlan.id == TrainingTopic.plan_id)
            .where(TrainingTopic.course_code.is_not(None))
            .group_by(TrainingTopic.course_code)
        )
    }
    rows = [
        CourseUsage(course, *usage.get(course.code, (0, 0, 0)))
        for course in courses(session)
        if shop_id is None or course.shop_id in (None, shop_id)
    ]
    return sorted(rows, key=lambda r: (r.course.retired_at is not None, r.course.shop_id is not None))


def get_course(session: Session, course_id: int) -> TrainingCourse:
    course = session.get(TrainingCourse, course_id)
    if course is None:
        raise NotFoundError("课程不存在")
    return course


def _checked(title: str, summary: str, checkpoints: list[str]) -> tuple[str, str, list[str]]:
    title, summary = title.strip(), summary.strip()
    if not title:
        raise InvalidInputError("title", "课程名称不能为空")
    if len(title) > 64:
        raise InvalidInputError("title", "课程名称不能超过 64 个字")
    if len(summary) > 300:
        raise InvalidInputError("summary", "课程简介不能超过 300 个字")
    unknown = [code for code in checkpoints if code not in BY_CODE]
    if unknown:
        raise InvalidInputError("checkpoints", "没有这个质检点: " + "、".join(unknown))
    if not checkpoints:
        raise InvalidInputError("checkpoints", "请至少选择一个课程训练的质检点")
    return title, summary, list(dict.fromkeys(checkpoints))


def create_course(
    session: Session, *, shop_id: int, title: str, summary: str, checkpoints: list[str], actor_id: int
) -> TrainingCourse:
    require_refs(session, {"shop_id": (Shop, shop_id)})
    title, summary, checkpoints = _checked(title, summary, checkpoints)
    course = TrainingCourse(
        code=f"shop{shop_id}-{secrets.token_hex(4)}",
        shop_id=shop_id,
        title=title,
        summary=summary,
        checkpoints=checkpoints,
        updated_by=actor_id,
    )
    session.add(course)
    session.flush()
    return course


def _own(session: Session, course_id: int) -> TrainingCourse:
    course = get_course(session, course_id)
    if course.shop_id is None:
        raise ConflictError("默认课程由系统维护,不能修改或停用;可为店铺新增自己的课程")
    return course


def update_course(
    session: Session, *, course_id: int, title: str, summary: str, checkpoints: list[str], actor_id: int
) -> TrainingCourse:
    course = _own(session, course_id)
    if course.retired_at is not None:
        raise ConflictError("课程已停用,不能再修改")
    course.title, course.summary, course.checkpoints = _checked(title, summary, checkpoints)
    course.updated_by = actor_id
    session.flush()
    return course


def retire_course(session: Session, *, course_id: int, actor_id: int) -> TrainingCourse:
    """Once: retiring again keeps the first time."""
    course = _own(session, course_id)
    if course.retired_at is None:
        course.retired_at, course.updated_by = utcnow(), actor_id
        session.flush()
    return course
