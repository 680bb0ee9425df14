"""QC console: session list with filters, session view with highlighted findings and the overrule
form, the alert inbox with its workflow, and the QC dashboard."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from aftersales.auth import repository as auth_repository
from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.auth.models import Role, User
from aftersales.catalog import repository as catalog_repository
from aftersales.catalog.models import PLATFORM_LABELS, Shop
from aftersales.conversations.schemas import mask_phones_in_text
from aftersales.conversations.service import get_session
from aftersales.jobs import enqueue
from aftersales.kit.pagination import PageDep, count_rows, paginate, paginate_rows
from aftersales.kit.time import local_day_bounds, utcnow
from aftersales.qc import alerts, repository, service
from aftersales.qc import settings as qc_settings
from aftersales.qc.checkpoints import BY_CODE, CHECKPOINTS, MessageView
from aftersales.qc.console_import import router as import_router
from aftersales.qc.console_training import NAV as TRAINING_NAV
from aftersales.qc.console_training import router as training_router
from aftersales.qc.models import AREA_LABELS, AlertStatus, QcFinding, QcSessionResult
from aftersales.qc.risk import RISK_KINDS
from aftersales.web.home import LEAD_HOME, Tile, register_tile
from aftersales.web.render import NavItem, render

router = APIRouter(prefix="/console/qc", include_in_schema=False)
router.include_router(import_router)
router.include_router(training_router)

NAV = [
    NavItem("质检会话", "/console/qc/sessions", group="质检"),
    NavItem("质检告警", "/console/qc/alerts", group="质检"),
    NavItem("质检看板", "/console/qc/dashboard", Role.SUPERVISOR, group="质检"),
    NavItem("质检设置", "/console/qc/settings", Role.SUPERVISOR, group="设置"),
    NavItem("导入聊天", "/console/qc/import", Role.SUPERVISOR, group="设置"),
    *TRAINING_NAV,
]

LEVEL_LABELS = {"low": "初级", "medium": "中级", "high": "高级"}
POLARITY_LABELS = {"positive": "正面", "negative": "负面", "neutral": "中性"}
DIMENSIONS = {"platform": "平台", "shop": "店铺", "group": "班组", "agent": "客服"}


def _label_names() -> dict[str, str]:
    """The emotion labels' Chinese names (their module loads scikit-learn: on first use)."""
    from aftersales.qc.emotion import LABEL_NAMES

    return LABEL_NAMES


def _risk_alerts(session: Session, _user: User) -> int:
    return count_rows(session, repository.alert_list(status=AlertStatus.OPEN.value))


register_tile(Tile("未处理风险告警", "/console/qc/alerts?status=open", _risk_alerts, LEAD_HOME, "bad", 40))


@dataclass
class Segment:
    text: str
    marked: bool = False
    title: str = ""


def _names(session: Session) -> tuple[dict[int, Shop], dict[int, str]]:
    return catalog_repository.shops_by_id(session), auth_repository.display_names(session)


def _optional_int(value: str | None) -> int | None:
    return int(value) if value and value.strip().isdigit() else None


@router.get("/sessions", response_class=HTMLResponse)
def sessions(
    request: Request,
    session: SessionDep,
    _: CurrentUser,
    page: PageDep,
    shop_id: str | None = None,
    agent_id: str | None = None,
    emotion: str | None = None,
    risk: str | None = None,
    passed: str | None = None,
    max_score: str | None = None,
) -> Response:
    statement = repository.session_list(
        shop_id=_optional_int(shop_id),
        agent_id=_optional_int(agent_id),
        emotion=emotion or None,
        risk_level=risk or None,
        passed={"yes": True, "no": False}.get(passed or ""),
        max_score=_optional_int(max_score),
    )
    rows, total = paginate_rows(session, statement, page)
    shops, users = _names(session)
    query = {"shop_id": shop_id, "agent_id": agent_id, "emotion": emotion, "risk": risk}
    query |= {"passed": passed, "max_score": max_score}
    template = "qc/_session_rows.html" if request.headers.get("HX-Request") else "qc/sessions.html"
    return render(
        request,
        template,
        rows=rows,
        total=total,
        page=page,
        query={k: v or "" for k, v in query.items()},
        shops=shops,
        users=users,
        agents={u.id: u.display_name for u in auth_repository.users_with_role(session, Role.AGENT)},
        emotions=_label_names(),
        polarities=POLARITY_LABELS,
        levels=LEVEL_LABELS,
        platforms=PLATFORM_LABELS,
        checkpoints=BY_CODE,
    )


def _segments(message: MessageView, findings: list[QcFinding]) -> list[Segment]:
    """The message split around risk phrases and finding evidence, for <mark> highlighting."""
    spans = [
        (int(h["start"]), int(h["end"]), f"{h['label']}({LEVEL_LABELS[h['level']]})") for h in message.risks
    ]
    for finding in findings:
        if finding.message_id == message.id and finding.evidence and finding.final_passed is False:
            start = message.text.find(finding.evidence)
            if start >= 0:
                spans.append((start, start + len(finding.evidence), BY_CODE[finding.code].name))
    segments, cursor = [], 0
    for start, end, title in sorted(spans):
        if start < cursor:
            continue
        segments.append(Segment(message.text[cursor:start]))
        segments.append(Segment(message.text[start:end], True, title))
        cursor = end
    segments.append(Segment(message.text[cursor:]))
    return [s for s in segments if s.text]


@router.get("/sessions/{session_id}", response_class=HTMLResponse)
def session_view(request: Request, session: SessionDep, user: CurrentUser, session_id: int) -> Response:
    chat = get_session(session, session_id)
    findings = repository.findings_of(session, session_id)
    messages = repository.message_views(session, session_id)
    if not user.may_see_pii:
        messages = [_masked(m) for m in messages]
    shops, users = _names(session)
    flagged = {f.message_id for f in findings if f.final_passed is False and f.message_id}
    return render(
        request,
        "qc/session.html",
        chat=chat,
        result=session.get(QcSessionResult, session_id),
        findings=findings,
        messages=[(m, _segments(m, findings), m.id in flagged) for m in messages],
        overrules=repository.overrules_of(session, session_id),
        alert=repository.alert_of(session, session_id),
        shop=shops.get(chat.shop_id),
        users=users,
        checkpoints=BY_CODE,
        areas=AREA_LABELS,
        emotions=_label_names(),
        polarities=POLARITY_LABELS,
        levels=LEVEL_LABELS,
        may_overrule=user.role.at_least(Role.SUPERVISOR),
    )


def _masked(message: MessageView) -> MessageView:
    """Mask phone numbers without moving risk spans (masking keeps the text length)."""
    return MessageView(**{**message.__dict__, "text": mask_phones_in_text(message.text)})


@router.post("/findings/{finding_id}/overrule")
def overrule(
    session: SessionDep,
    user: RequireSupervisor,
    finding_id: int,
    passed: Annotated[str, Form()],
    reason: Annotated[str, Form(min_length=2, max_length=500)],
) -> Response:
    finding = service.overrule(
        session, finding_id=finding_id, user=user, passed=passed == "yes", reason=reason
    )
    return RedirectResponse(f"/console/qc/sessions/{finding.session_id}", status_code=303)


@router.get("/alerts", response_class=HTMLResponse)
def alert_inbox(
    request: Request,
    session: SessionDep,
    _: CurrentUser,
    page: PageDep,
    status: str = "active",
    level: str | None = None,
    shop_id: str | None = None,
) -> Response:
    statement = repository.alert_list(
        status=status or None, level=level or None, shop_id=_optional_int(shop_id)
    )
    rows, total = paginate(session, statement, page)
    chats = {c.id: c for c in repository.sessions(session, [a.session_id for a in rows])}
    shops, users = _names(session)
    return render(
        request,
        "qc/alerts.html",
        alerts=rows,
        chats=chats,
        total=total,
        page=page,
        status=status,
        level=level or "",
        shop_id=shop_id or "",
        shops=shops,
        users=users,
        levels=LEVEL_LABELS,
        kinds=RISK_KINDS,
        statuses={s.value: s.label for s in AlertStatus},
    )


@router.post("/alerts/{alert_id}/{action}")
def alert_action(
    session: SessionDep,
    user: RequireAgent,
    alert_id: int,
    action: str,
    note: Annotated[str, Form()] = "",
) -> Response:
    if action == "acknowledge":
        alerts.acknowledge(session, alert_id=alert_id, user=user)
    elif action == "handle":
        alerts.start_handling(session, alert_id=alert_id, user=user)
    elif action == "close":
        alerts.close(session, alert_id=alert_id, user=user, note=note)
    else:
        from aftersales.kit.errors import NotFoundError

        raise NotFoundError(f"未知操作 {action}")
    return RedirectResponse("/console/qc/alerts", status_code=303)


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    session: SessionDep,
    _: RequireSupervisor,
    by: str = "shop",
    since: str | None = None,
    until: str | None = None,
) -> Response:
    """Every table split by the chosen dimension, over the Shanghai days ``since``..``until`` (inclusive)."""
    by = by if by in DIMENSIONS else "shop"
    first, last = _optional_day(since), _optional_day(until)
    period = {
        "dimension": repository.dimension(by),
        "since": local_day_bounds(first)[0] if first else None,
        "until": local_day_bounds(last)[1] if last else None,
    }
    label = _key_labels(session, by)
    rows = repository.score_summary(session, **period)
    for row in rows:
        row["label"] = label(row["key"])
    return render(
        request,
        "qc/dashboard.html",
        by=by,
        since=first.isoformat() if first else "",
        until=last.isoformat() if last else "",
        dimensions=DIMENSIONS,
        rows=rows,
        failed=[
            (label(r["key"]), BY_CODE[r["code"]].name if r["code"] in BY_CODE else r["code"], r["failed"])
            for r in repository.top_failed_checkpoints(session, **period, limit=5)
        ],
        emotions=_emotion_rows(repository.emotion_shares(session, **period), label),
        alerts=[
            (label(r["key"]), LEVEL_LABELS.get(r["level"], r["level"]), r["raised"], r["closed"])
            for r in repository.risk_counts(session, **period)
        ],
        voc=repository.voc_by_sku(session, since=period["since"], until=period["until"], limit=20),
        polarities=POLARITY_LABELS,
    )


def _optional_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _key_labels(session: Session, by: str) -> Callable[[Any], str]:
    """Display name of a dimension value: shop name, agent name, platform label or the shift itself."""
    shops, users = _names(session)
    choices: dict[str, dict[Any, str]] = {
        "shop": {i: s.name for i, s in shops.items()},
        "agent": dict(users),
        "platform": {p.value: label for p, label in PLATFORM_LABELS.items()},
    }
    labels = choices.get(by, {})
    return lambda key: labels.get(key, str(key)) if key is not None else "(无人工)"


def _emotion_rows(
    shares: list[dict[str, Any]], label: Callable[[Any], str]
) -> list[tuple[str, str, str, int, float]]:
    """Positive and negative messages with their share among the rated messages of the same value."""
    rated: dict[Any, int] = {}
    for row in shares:
        if row["polarity"] != "neutral":
            rated[row["key"]] = rated.get(row["key"], 0) + row["messages"]
    return [
        (
            label(r["key"]),
            r["polarity"],
            _label_names().get(r["label"], r["label"]),
            r["messages"],
            r["messages"] / rated[r["key"]],
        )
        for r in shares
        if r["polarity"] != "neutral"
    ]


@router.get("/settings", response_class=HTMLResponse)
def settings_page(
    request: Request, session: SessionDep, _: RequireSupervisor, shop_id: str | None = None
) -> Response:
    shops, _users = _names(session)
    chosen = _optional_int(shop_id) or next(iter(shops), None)
    if chosen is None or chosen not in shops:
        return render(
            request, "qc/settings.html", shops=shops, shop=None, rows=[], setting=None, areas=AREA_LABELS
        )
    overrides = {row.code: row for row in repository.checkpoint_overrides(session, chosen)}
    rows = [
        {
            "checkpoint": cp,
            "weight": overrides[cp.code].weight if cp.code in overrides else cp.weight,
            "enabled": overrides[cp.code].enabled if cp.code in overrides else True,
            "params": {**cp.params, **(overrides[cp.code].params if cp.code in overrides else {})},
        }
        for cp in CHECKPOINTS
    ]
    return render(
        request,
        "qc/settings.html",
        shops=shops,
        shop=shops[chosen],
        rows=rows,
        setting=qc_settings.shop_setting(session, chosen),
        areas=AREA_LABELS,
    )


@router.post("/settings/{shop_id}/checkpoints/{code}")
def save_checkpoint(
    session: SessionDep,
    _: RequireSupervisor,
    shop_id: int,
    code: str,
    weight: Annotated[int, Form(ge=0, le=100)],
    enabled: Annotated[str | None, Form()] = None,
    seconds: Annotated[int | None, Form(gt=0)] = None,
) -> Response:
    qc_settings.configure_checkpoint(
        session,
        shop_id=shop_id,
        code=code,
        weight=weight,
        enabled=enabled == "on",
        params={"seconds": seconds} if seconds is not None else None,
    )
    enqueue(
        session,
        "qc.reinspect_shop",
        dedupe_key=f"qc.reinspect:{shop_id}:{utcnow():%Y%m%d%H%M}",
        shop_id=shop_id,
    )
    return RedirectResponse(f"/console/qc/settings?shop_id={shop_id}", status_code=303)


@router.post("/settings/{shop_id}")
def save_shop_setting(
    session: SessionDep,
    _: RequireSupervisor,
    shop_id: int,
    pass_score: Annotated[int, Form(ge=0, le=100)],
    alert_group_code: Annotated[str, Form(min_length=1, max_length=32)],
    high_alert_group_code: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    qc_settings.update_shop_setting(
        session,
        shop_id=shop_id,
        pass_score=pass_score,
        alert_group_code=alert_group_code,
        high_alert_group_code=high_alert_group_code,
    )
    enqueue(
        session,
        "qc.reinspect_shop",
        dedupe_key=f"qc.reinspect:{shop_id}:{utcnow():%Y%m%d%H%M}",
        shop_id=shop_id,
    )
    return RedirectResponse(f"/console/qc/settings?shop_id={shop_id}", status_code=303)
