"""QC over HTTP: inspections, overrules, alerts, per-shop checkpoint settings, summaries, VOC."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.conversations.service import get_session
from aftersales.jobs import enqueue
from aftersales.kit.pagination import Page, PageDep, paginate
from aftersales.kit.time import as_utc, utcnow
from aftersales.qc import alerts, repository, risk, service, settings
from aftersales.qc.checkpoints import CHECKPOINTS
from aftersales.qc.courses_api import router as courses_router
from aftersales.qc.models import QcSessionResult
from aftersales.qc.schemas import (
    AlertRead,
    CheckpointRead,
    CheckpointUpdate,
    ClassifyIn,
    CloseIn,
    FindingRead,
    InspectionRead,
    MessageAnalysisRead,
    OverruleIn,
    ResultRead,
    ShopSettingIn,
    ShopSettingRead,
    TextAnalysis,
)

router = APIRouter(prefix="/api/qc", tags=["qc"])

Dimension = Literal["platform", "shop", "agent", "group"]


@router.get("/sessions", response_model=Page[ResultRead])
def list_results(
    session: SessionDep,
    _: CurrentUser,
    page: PageDep,
    shop_id: int | None = None,
    agent_id: int | None = None,
    emotion_filter: Annotated[str | None, Query(alias="emotion")] = None,
    risk_level: Annotated[str | None, Query(pattern="^(any|low|medium|high)$")] = None,
    passed: bool | None = None,
    max_score: Annotated[int | None, Query(ge=0, le=100)] = None,
) -> Page[ResultRead]:
    statement = repository.session_list(
        shop_id=shop_id,
        agent_id=agent_id,
        emotion=emotion_filter,
        risk_level=risk_level,
        passed=passed,
        max_score=max_score,
    ).where(QcSessionResult.session_id.is_not(None))
    rows, total = paginate(session, statement.with_only_columns(QcSessionResult), page)
    return Page(
        items=[ResultRead.model_validate(r) for r in rows], total=total, page=page.page, size=page.size
    )


@router.get("/sessions/{session_id}", response_model=InspectionRead)
def get_inspection(session: SessionDep, _: CurrentUser, session_id: int) -> InspectionRead:
    get_session(session, session_id)
    result = session.get(QcSessionResult, session_id)
    return InspectionRead(
        result=ResultRead.model_validate(result) if result else None,
        findings=[FindingRead.model_validate(f) for f in repository.findings_of(session, session_id)],
        messages=[
            MessageAnalysisRead(
                message_id=m.id, sender=m.sender, polarity=m.polarity, label=m.label, risks=m.risks
            )
            for m in repository.message_views(session, session_id)
        ],
    )


@router.post("/sessions/{session_id}/reinspect", response_model=InspectionRead)
def reinspect(session: SessionDep, _: RequireSupervisor, session_id: int) -> InspectionRead:
    get_session(session, session_id)
    service.inspect(session, session_ids=[session_id])
    return get_inspection(session, _, session_id)


@router.post("/findings/{finding_id}/overrule", response_model=FindingRead)
def overrule(session: SessionDep, user: RequireSupervisor, finding_id: int, body: OverruleIn) -> FindingRead:
    finding = service.overrule(
        session, finding_id=finding_id, user=user, passed=body.passed, reason=body.reason
    )
    return FindingRead.model_validate(finding)


@router.get("/alerts", response_model=Page[AlertRead])
def list_alerts(
    session: SessionDep,
    _: CurrentUser,
    page: PageDep,
    status: Annotated[str | None, Query(pattern="^(active|open|acknowledged|handling|closed)$")] = None,
    level: Annotated[str | None, Query(pattern="^(low|medium|high)$")] = None,
    shop_id: int | None = None,
) -> Page[AlertRead]:
    rows, total = paginate(session, repository.alert_list(status=status, level=level, shop_id=shop_id), page)
    return Page(
        items=[AlertRead.model_validate(r) for r in rows], total=total, page=page.page, size=page.size
    )


@router.post("/alerts/{alert_id}/acknowledge", response_model=AlertRead)
def acknowledge(session: SessionDep, user: RequireAgent, alert_id: int) -> AlertRead:
    return AlertRead.model_validate(alerts.acknowledge(session, alert_id=alert_id, user=user))


@router.post("/alerts/{alert_id}/handle", response_model=AlertRead)
def handle(session: SessionDep, user: RequireAgent, alert_id: int) -> AlertRead:
    return AlertRead.model_validate(alerts.start_handling(session, alert_id=alert_id, user=user))


@router.post("/alerts/{alert_id}/close", response_model=AlertRead)
def close(session: SessionDep, user: RequireAgent, alert_id: int, body: CloseIn) -> AlertRead:
    return AlertRead.model_validate(alerts.close(session, alert_id=alert_id, user=user, note=body.note))


@router.get("/shops/{shop_id}/checkpoints", response_model=list[CheckpointRead])
def list_checkpoints(session: SessionDep, _: CurrentUser, shop_id: int) -> list[CheckpointRead]:
    overrides = {row.code: row for row in repository.checkpoint_overrides(session, shop_id)}
    result = []
    for checkpoint in CHECKPOINTS:
        row = overrides.get(checkpoint.code)
        result.append(
            CheckpointRead(
                code=checkpoint.code,
                area=checkpoint.area,
                name=checkpoint.name,
                description=checkpoint.description,
                weight=row.weight if row else checkpoint.weight,
                enabled=row.enabled if row else True,
                params={**checkpoint.params, **(row.params if row else {})},
            )
        )
    return result


@router.put("/shops/{shop_id}/checkpoints/{code}", response_model=list[CheckpointRead])
def update_checkpoint(
    session: SessionDep, user: RequireSupervisor, shop_id: int, code: str, body: CheckpointUpdate
) -> list[CheckpointRead]:
    settings.configure_checkpoint(
        session, shop_id=shop_id, code=code, weight=body.weight, enabled=body.enabled, params=body.params
    )
    _reinspect_later(session, shop_id)
    return list_checkpoints(session, user, shop_id)


def _reinspect_later(session: SessionDep, shop_id: int) -> None:
    """Recent sessions are scored again in the background (one job per shop and minute)."""
    enqueue(
        session,
        "qc.reinspect_shop",
        dedupe_key=f"qc.reinspect:{shop_id}:{utcnow():%Y%m%d%H%M}",
        shop_id=shop_id,
    )


@router.put("/shops/{shop_id}/settings", response_model=ShopSettingRead)
def update_settings(
    session: SessionDep, _: RequireSupervisor, shop_id: int, body: ShopSettingIn
) -> ShopSettingRead:
    setting = settings.update_shop_setting(session, shop_id=shop_id, **body.model_dump(exclude_none=True))
    _reinspect_later(session, shop_id)
    return ShopSettingRead.model_validate(setting)


@router.get("/summary")
def summary(
    session: SessionDep,
    _: CurrentUser,
    by: Dimension = "shop",
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """QC score, pass rate, top failed checkpoints, emotion shares and alerts, each per platform /
    shop / group / agent (``key``), over sessions started (messages sent, alerts raised) in the range."""
    start, end = (as_utc(since) if since else None), (as_utc(until) if until else None)
    period = {"dimension": repository.dimension(by), "since": start, "until": end}
    return {
        "by": by,
        "rows": repository.score_summary(session, **period),
        "top_failed_checkpoints": repository.top_failed_checkpoints(session, **period),
        "emotions": repository.emotion_shares(session, **period),
        "alerts": repository.risk_counts(session, **period),
    }


@router.get("/voc")
def voc(
    session: SessionDep,
    _: CurrentUser,
    shop_id: int | None = None,
    sku_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Topics per SKU, and for one SKU its mentions per day and topic."""
    start, end = (as_utc(since) if since else None), (as_utc(until) if until else None)
    result: dict[str, Any] = {
        "topics": repository.voc_by_sku(session, shop_id=shop_id, since=start, until=end)
    }
    if sku_id is not None:
        result["daily"] = repository.voc_daily(session, sku_id=sku_id, since=start, until=end)
    return result


@router.post("/analyse", response_model=list[TextAnalysis], summary="Emotion and risk of free texts")
def analyse(_: CurrentUser, body: ClassifyIn) -> list[TextAnalysis]:
    from aftersales.qc import emotion  # the model's libraries load on first use

    return [
        TextAnalysis(
            text=text,
            polarity=feeling.polarity,
            label=feeling.label,
            confidence=feeling.confidence,
            risks=[{"kind": h.kind, "level": h.level, "phrase": h.phrase} for h in risk.detect(text)],
        )
        for text, feeling in zip(body.texts, emotion.classify(body.texts), strict=True)
    ]


router.include_router(courses_router)
