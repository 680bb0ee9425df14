"""The course catalogue over HTTP: anyone signed in reads it; supervisors add, edit and retire
a shop's own courses."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from aftersales.auth.deps import RequireAgent, RequireSupervisor, SessionDep
from aftersales.kit.types import MAX_ROW_ID, RowId
from aftersales.qc import courses
from aftersales.qc.courses import CourseUsage
from aftersales.qc.schemas import CourseCreate, CourseIn, CourseRead

router = APIRouter(prefix="/courses")
CourseId = Annotated[int, Path(gt=0, le=MAX_ROW_ID)]


def _read(usage: CourseUsage) -> CourseRead:
    return CourseRead.model_validate(usage.course).model_copy(
        update={"agents": usage.agents, "topics": usage.topics, "completed": usage.completed}
    )


@router.get("", response_model=list[CourseRead])
def list_courses(
    session: SessionDep, _: RequireAgent, shop_id: Annotated[RowId | None, Query()] = None
) -> list[CourseRead]:
    """The defaults and the shops' own courses, with how many agents' plans use each."""
    return [_read(usage) for usage in courses.catalogue(session, shop_id=shop_id)]


@router.post("", response_model=CourseRead, status_code=201)
def create_course(session: SessionDep, user: RequireSupervisor, body: CourseCreate) -> CourseRead:
    course = courses.create_course(session, **body.model_dump(), actor_id=user.id)
    return CourseRead.model_validate(course)


@router.put("/{course_id}", response_model=CourseRead)
def update_course(
    session: SessionDep, user: RequireSupervisor, course_id: CourseId, body: CourseIn
) -> CourseRead:
    course = courses.update_course(session, course_id=course_id, **body.model_dump(), actor_id=user.id)
    return CourseRead.model_validate(course)


@router.post("/{course_id}/retire", response_model=CourseRead)
def retire_course(session: SessionDep, user: RequireSupervisor, course_id: CourseId) -> CourseRead:
    return CourseRead.model_validate(courses.retire_course(session, course_id=course_id, actor_id=user.id))
