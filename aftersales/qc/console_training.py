"""培训计划 pages: supervisors make plans from a period's QC findings and follow completion; an
agent sees their own plan (and the plans they mentor) and marks topics done. 课程目录: the
catalogue the plans draw on, where supervisors add, edit and retire a shop's own courses."""

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from aftersales.auth import repository as auth_repository
from aftersales.auth.deps import CurrentUser, RequireSupervisor, SessionDep
from aftersales.auth.models import Role
from aftersales.catalog import repository as catalog_repository
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import local_day_bounds
from aftersales.qc import courses, training_plans
from aftersales.qc.checkpoints import BY_CODE
from aftersales.qc.training_models import TrainingPlan
from aftersales.web.forms import act_or_rerender
from aftersales.web.render import NavItem, render

router = APIRouter(prefix="/training", include_in_schema=False)

NAV = [
    NavItem("培训计划", "/console/qc/training", Role.SUPERVISOR, group="质检"),
    NavItem("课程目录", "/console/qc/training/courses", Role.SUPERVISOR, group="质检"),
    NavItem("我的培训", "/console/qc/training/mine", Role.AGENT, group="质检"),
]


def _names(session: Session, plans: list[TrainingPlan]) -> dict[int, str]:
    return auth_repository.display_names(session, [p.agent_id for p in plans] + [p.mentor_id for p in plans])


def _page(request: Request, session: Session, plans: list[TrainingPlan], *, mine: bool) -> Response:
    return render(
        request,
        "qc/training.html",
        plans=plans,
        topics=training_plans.topics(session, [p.id for p in plans]),
        names=_names(session, plans),
        checkpoints={code: c.name for code, c in BY_CODE.items()},
        courses={c.code: c for c in training_plans.courses(session)},
        mine=mine,
    )


@router.get("", response_class=HTMLResponse)
def training_page(request: Request, session: SessionDep, _: RequireSupervisor) -> Response:
    """Every plan, newest period first, with the form to make the plans of a period."""
    return _page(request, session, training_plans.plans(session), mine=False)


@router.get("/mine", response_class=HTMLResponse)
def my_training(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return _page(request, session, training_plans.plans(session, agent_id=user.id), mine=True)


@router.post("")
def generate_plans(
    session: SessionDep,
    user: RequireSupervisor,
    period_start: Annotated[date, Form()],
    period_end: Annotated[date, Form()],
) -> Response:
    """Plans for the Shanghai days ``period_start``..``period_end`` inclusive (e.g. a promotion)."""
    since, until = local_day_bounds(period_start)[0], local_day_bounds(period_end)[1]
    training_plans.generate(session, since=since, until=until, created_by=user.id)
    return RedirectResponse("/console/qc/training", status_code=303)


@router.post("/topics/{topic_id}/complete")
def complete_topic(session: SessionDep, user: CurrentUser, topic_id: int) -> Response:
    training_plans.complete_topic(session, topic_id=topic_id, user=user)
    target = "/console/qc/training" if user.role.at_least(Role.SUPERVISOR) else "/console/qc/training/mine"
    return RedirectResponse(target, status_code=303)


def _catalogue(
    request: Request, session: Session, *, status_code: int = 200, error: str | None = None, editing: int = 0
) -> Response:
    return render(
        request,
        "qc/courses.html",
        status_code=status_code,
        rows=courses.catalogue(session),
        shops=catalog_repository.shop_names(session),
        checkpoints={code: c.name for code, c in BY_CODE.items()},
        error=error,
        editing=editing,
    )


@router.get("/courses", response_class=HTMLResponse)
def courses_page(request: Request, session: SessionDep, _: RequireSupervisor) -> Response:
    """The catalogue: each course, the checkpoints it trains, the agents whose plans have it."""
    return _catalogue(request, session)


def _save(request: Request, session: Session, action: Callable[[], object], editing: int = 0) -> Response:
    return act_or_rerender(
        session,
        action,
        failed=InvalidInputError,
        rerender=lambda exc: _catalogue(
            request, session, status_code=422, error=exc.message, editing=editing
        ),
        done=lambda _: RedirectResponse("/console/qc/training/courses", status_code=303),
    )


@router.post("/courses")
def add_course(
    request: Request,
    session: SessionDep,
    user: RequireSupervisor,
    shop_id: Annotated[int, Form()],
    title: Annotated[str, Form()],
    summary: Annotated[str, Form()] = "",
    checkpoints: Annotated[list[str] | None, Form()] = None,
) -> Response:
    return _save(
        request,
        session,
        lambda: courses.create_course(
            session,
            shop_id=shop_id,
            title=title,
            summary=summary,
            checkpoints=checkpoints or [],
            actor_id=user.id,
        ),
    )


@router.post("/courses/{course_id}/edit")
def edit_course(
    request: Request,
    session: SessionDep,
    user: RequireSupervisor,
    course_id: int,
    title: Annotated[str, Form()],
    summary: Annotated[str, Form()] = "",
    checkpoints: Annotated[list[str] | None, Form()] = None,
) -> Response:
    return _save(
        request,
        session,
        lambda: courses.update_course(
            session,
            course_id=course_id,
            title=title,
            summary=summary,
            checkpoints=checkpoints or [],
            actor_id=user.id,
        ),
        editing=course_id,
    )


@router.post("/courses/{course_id}/retire")
def retire_course(session: SessionDep, user: RequireSupervisor, course_id: int) -> Response:
    courses.retire_course(session, course_id=course_id, actor_id=user.id)
    return RedirectResponse("/console/qc/training/courses", status_code=303)
