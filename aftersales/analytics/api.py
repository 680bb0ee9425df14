"""REST API of analytics: every analysis as JSON tables, targets (supervisor) and alert checks."""

from typing import Annotated

from fastapi import APIRouter, Query

from aftersales.analytics import scorecards, service
from aftersales.analytics.association_analysis import associations
from aftersales.analytics.console import ScopeDep
from aftersales.analytics.dimensions import DIMENSIONS
from aftersales.analytics.forecast import forecast_and_staffing
from aftersales.analytics.funnel import funnel
from aftersales.analytics.report.service import build_report
from aftersales.analytics.schemas import AlertCheckIn, AlertRead, AnalysisRead, TargetIn, TargetRead
from aftersales.analytics.trends import trends
from aftersales.auth.deps import CurrentUser, RequireSupervisor, SessionDep
from aftersales.kit.errors import InvalidInputError

router = APIRouter(prefix="/api/analytics", tags=["analytics"])


@router.get("/funnel")
def get_funnel(
    session: SessionDep, _: CurrentUser, scope: ScopeDep, by: Annotated[str | None, Query()] = None
) -> AnalysisRead:
    if by and by not in DIMENSIONS:
        raise InvalidInputError("by", f"未知维度 {by}")
    return AnalysisRead.of(funnel(session, scope, by=by))


@router.get("/trends")
def get_trends(
    session: SessionDep, _: CurrentUser, scope: ScopeDep, granularity: Annotated[str, Query()] = "day"
) -> AnalysisRead:
    """Series per ``day`` or ``hour`` (Shanghai); any other granularity is 422."""
    return AnalysisRead.of(trends(session, scope, by=granularity))


@router.get("/forecast")
def get_forecast(session: SessionDep, _: CurrentUser, scope: ScopeDep) -> AnalysisRead:
    return AnalysisRead.of(forecast_and_staffing(session, scope))


@router.get("/associations")
def get_associations(session: SessionDep, _: CurrentUser, scope: ScopeDep) -> AnalysisRead:
    return AnalysisRead.of(associations(session, scope))


@router.get("/scorecards")
def get_scorecards(
    session: SessionDep, _: CurrentUser, scope: ScopeDep, level: Annotated[str, Query()] = "agent"
) -> AnalysisRead:
    if level not in scorecards.LEVELS:
        raise InvalidInputError("level", f"未知层级 {level}")
    targets = service.targets_for(session, level=level)
    return AnalysisRead.of(scorecards.scorecards(session, scope, level=level, targets=targets))


@router.get("/report")
def get_report(session: SessionDep, _: RequireSupervisor, scope: ScopeDep) -> list[AnalysisRead]:
    return [AnalysisRead.of(section) for section in build_report(session, scope).sections]


@router.put("/targets")
def put_target(session: SessionDep, user: RequireSupervisor, body: TargetIn) -> TargetRead:
    row = service.set_target(
        session,
        metric=body.metric,
        level=body.level,
        subject=body.subject,
        value=body.value,
        actor_id=user.id,
    )
    return TargetRead.model_validate(row)


@router.post("/alerts/check")
def check_alerts(session: SessionDep, _: RequireSupervisor, body: AlertCheckIn) -> list[AlertRead]:
    if body.end < body.start:
        raise InvalidInputError("end", "结束日期不能早于开始日期")
    alerts = service.check_targets(session, start=body.start, end=body.end, level=body.level)
    return [AlertRead.model_validate(a) for a in alerts]
