"""Analytics dashboards: funnel, trends, forecast & staffing, associations, scorecards, 复盘 report.

Every page takes the same filters (Shanghai date range, platform, shop) and links numbers to the
rows behind them. Charts are SVG rendered on the server (matplotlib), no JavaScript library.
"""

from datetime import date, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.analytics import drill as drill_module
from aftersales.analytics import scorecards, service
from aftersales.analytics.association_analysis import associations
from aftersales.analytics.dimensions import DIMENSIONS
from aftersales.analytics.forecast import forecast_and_staffing
from aftersales.analytics.funnel import funnel
from aftersales.analytics.report import exports
from aftersales.analytics.report.service import EDITABLE, build_report, save_action
from aftersales.analytics.repository import GRANULARITIES
from aftersales.analytics.results import Analysis
from aftersales.analytics.scope import Scope
from aftersales.analytics.trends import trends
from aftersales.auth.deps import CurrentUser, RequireSupervisor, SessionDep
from aftersales.auth.models import Role, User
from aftersales.catalog.models import PLATFORM_LABELS, Platform, Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.web.home import Card, register_card
from aftersales.web.render import NavItem, render

router = APIRouter(prefix="/console/analytics", include_in_schema=False)

NAV = [NavItem("数据分析", "/console/analytics", group="数据")]


def _home_kpis(session: Session, _user: User) -> dict[str, Any]:
    """Today's KPIs per shop against their targets, linking to the shops' scorecards."""
    day = utcnow().astimezone(SHANGHAI).date()
    board = service.today_kpis(session, day=day)
    query = urlencode({"level": "shop", "start": day.isoformat(), "end": day.isoformat()})
    return {"board": board, "href": f"/console/analytics/scorecards?{query}"}


register_card(Card("analytics/_home_kpis.html", _home_kpis, position=10))
TABS = [
    ("/console/analytics/funnel", "漏斗"),
    ("/console/analytics/trends", "趋势"),
    ("/console/analytics/forecast", "预测与排班"),
    ("/console/analytics/associations", "关联"),
    ("/console/analytics/scorecards", "考核"),
    ("/console/analytics/report", "复盘报告"),
]
DEFAULT_DAYS = 14


def scope_params(
    start: Annotated[date | None, Query(description="开始日期(北京时间)")] = None,
    end: Annotated[date | None, Query(description="结束日期(含)")] = None,
    platform: Annotated[str | None, Query()] = None,
    shop_id: Annotated[str | None, Query()] = None,
) -> Scope:
    """Filters from the query string; empty select values mean 「全部」, the default range is 14 days."""
    end = end or utcnow().astimezone(SHANGHAI).date()
    start = start or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise InvalidInputError("end", "结束日期不能早于开始日期")
    if platform and platform not in {p.value for p in Platform}:
        raise InvalidInputError("platform", f"未知平台 {platform}")
    if shop_id and not shop_id.isdigit():
        raise InvalidInputError("shop_id", "店铺编号应为数字")
    return Scope(start, end, Platform(platform) if platform else None, int(shop_id) if shop_id else None)


ScopeDep = Annotated[Scope, Depends(scope_params)]


def _page(
    request: Request, session: SessionDep, scope: Scope, section: Analysis, **extra: object
) -> Response:
    return render(
        request,
        "analytics/page.html",
        section=section,
        scope=scope,
        query=urlencode(scope.query()),
        tabs=TABS,
        platforms=[(p.value, label) for p, label in PLATFORM_LABELS.items()],
        shops=list(session.scalars(select(Shop).order_by(Shop.id))),
        alert_text=service.alert_text,
        **_defaults(extra),
    )


def _defaults(extra: dict[str, Any]) -> dict[str, Any]:
    """Filter widgets a page does not use are hidden by passing ``None``."""
    context: dict[str, Any] = {"dimensions": None, "levels": None, "alerts": None, "granularities": None}
    context.update(extra)
    return context


@router.get("", response_class=HTMLResponse)
def home() -> Response:
    return RedirectResponse("/console/analytics/trends", status_code=303)


@router.get("/funnel", response_class=HTMLResponse)
def funnel_page(
    request: Request, session: SessionDep, _: CurrentUser, scope: ScopeDep, by: str | None = None
) -> Response:
    if by and by not in DIMENSIONS:
        raise InvalidInputError("by", f"未知维度 {by}")
    return _page(request, session, scope, funnel(session, scope, by=by or None), dimensions=DIMENSIONS, by=by)


@router.get("/trends", response_class=HTMLResponse)
def trends_page(
    request: Request, session: SessionDep, _: CurrentUser, scope: ScopeDep, granularity: str = "day"
) -> Response:
    section = trends(session, scope, by=granularity)
    return _page(request, session, scope, section, granularities=GRANULARITIES, granularity=granularity)


@router.get("/forecast", response_class=HTMLResponse)
def forecast_page(request: Request, session: SessionDep, _: CurrentUser, scope: ScopeDep) -> Response:
    return _page(request, session, scope, forecast_and_staffing(session, scope))


@router.get("/associations", response_class=HTMLResponse)
def associations_page(request: Request, session: SessionDep, _: CurrentUser, scope: ScopeDep) -> Response:
    return _page(request, session, scope, associations(session, scope))


@router.get("/scorecards", response_class=HTMLResponse)
def scorecards_page(
    request: Request, session: SessionDep, user: CurrentUser, scope: ScopeDep, level: str = "agent"
) -> Response:
    if level not in scorecards.LEVELS:
        raise InvalidInputError("level", f"未知层级 {level}")
    targets = service.targets_for(session, level=level)
    section = scorecards.scorecards(session, scope, level=level, targets=targets)
    is_agent = not user.role.at_least(Role.SUPERVISOR)
    alerts = (
        service.alerts_for_agent(session, agent_id=user.id) if is_agent else service.recent_alerts(session)
    )
    return _page(
        request,
        session,
        scope,
        section,
        levels=scorecards.LEVELS,
        level=level,
        level_labels=DIMENSIONS,
        alerts=alerts,
    )


@router.get("/report", response_class=HTMLResponse)
def report_page(request: Request, session: SessionDep, _: RequireSupervisor, scope: ScopeDep) -> Response:
    return render(
        request,
        "analytics/report.html",
        report=build_report(session, scope),
        editable=EDITABLE,
        scope=scope,
        query=urlencode(scope.query()),
        tabs=TABS,
        platforms=[(p.value, label) for p, label in PLATFORM_LABELS.items()],
        shops=list(session.scalars(select(Shop).order_by(Shop.id))),
        dimensions=None,
        levels=None,
    )


@router.post("/report/actions", response_class=HTMLResponse)
def report_action(
    session: SessionDep,
    user: RequireSupervisor,
    scope: ScopeDep,
    section: Annotated[str, Form(max_length=32)],
    text: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """The lead's edited 提升 action for one section, kept with this report (its scope) for the
    page, the PDF and the Excel; an empty text goes back to the action derived from the data."""
    save_action(session, scope=scope, section=section, text=text, user_id=user.id)
    return RedirectResponse(
        f"/console/analytics/report?{urlencode(scope.query())}#{section}", status_code=303
    )


def _download(content: bytes, media_type: str, name: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.get("/report.pdf")
def report_pdf(session: SessionDep, _: RequireSupervisor, scope: ScopeDep) -> Response:
    pdf = exports.to_pdf(build_report(session, scope))
    return _download(pdf, "application/pdf", f"review-{scope.start}-{scope.end}.pdf")


@router.get("/report.xlsx")
def report_xlsx(session: SessionDep, _: RequireSupervisor, scope: ScopeDep) -> Response:
    workbook = exports.to_excel(build_report(session, scope))
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(workbook, media, f"review-{scope.start}-{scope.end}.xlsx")


@router.get("/drill/{kind}", response_class=HTMLResponse)
def drill_page(
    request: Request,
    session: SessionDep,
    _: CurrentUser,
    scope: ScopeDep,
    kind: str,
    day: date | None = None,
) -> Response:
    """Filters beyond the scope come from the query string (``drill.FILTERS``: category, agent_id…)."""
    filters = {k: v for k, v in request.query_params.items() if k in drill_module.FILTERS}
    title, columns, rows, total = drill_module.drill(
        session, kind=kind, scope=scope, day=day, filters=filters
    )
    return render(request, "analytics/drill.html", title=title, columns=columns, rows=rows, total=total)
