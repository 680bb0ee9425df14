"""REST API of logistics follow-up: anomalies, rules, restricted regions, intercepts, care replies,
customer message templates and the customer-channel dead letters."""

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, Path, Query, UploadFile

from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.jobs import enqueue
from aftersales.kit.pagination import Page, PageDep, paginate_rows
from aftersales.logistics import care, care_settings, intercepts, regions, repository, service
from aftersales.logistics.models import AnomalyKind, AnomalyStatus, InterceptStatus
from aftersales.logistics.schemas import (
    AnomalyRead,
    CareRead,
    CareReplyIn,
    CareSettingsIn,
    InterceptRead,
    InterceptStatsRead,
    OutboxRead,
    RegionImportRead,
    RegionIn,
    RegionRead,
    RuleIn,
    RuleRead,
    ScanResult,
    TemplateIn,
    TemplateRead,
    outbox_read,
)
from aftersales.messaging.service import dead_letters, retry_dead
from aftersales.messaging.templates import VARIABLES, all_templates, save_template

router = APIRouter(prefix="/api/logistics", tags=["logistics"])

Id = Annotated[int, Path(ge=1, le=2_147_483_647)]

CUSTOMER_CHANNELS = ["platform_im", "sms", "email"]


@router.get("/anomalies", response_model=Page[AnomalyRead])
def list_anomalies(
    session: SessionDep,
    _: CurrentUser,
    page: PageDep,
    status: AnomalyStatus | None = AnomalyStatus.OPEN,
    kind: AnomalyKind | None = None,
    courier: Annotated[str | None, Query(max_length=16)] = None,
) -> Page[AnomalyRead]:
    rows, total = paginate_rows(
        session, service.list_anomalies(status=status, kind=kind, courier=courier), page
    )
    return Page(items=[AnomalyRead.of(*row) for row in rows], total=total, page=page.page, size=page.size)


@router.post("/anomalies/{anomaly_id}/resolve", response_model=AnomalyRead)
def resolve_anomaly(session: SessionDep, _: RequireAgent, anomaly_id: Id) -> AnomalyRead:
    service.resolve_anomaly(session, anomaly_id=anomaly_id)
    return AnomalyRead.of(*repository.anomaly_row(session, anomaly_id))


@router.post("/scan", response_model=ScanResult, summary="Run every rule now; follow-up runs as a job")
def scan_now(session: SessionDep, _: RequireSupervisor) -> ScanResult:
    counts = service.scan(session)
    enqueue(session, "logistics.follow_up")
    return ScanResult(counts=counts)


@router.get("/rules", response_model=list[RuleRead])
def list_rules(session: SessionDep, _: CurrentUser) -> list[RuleRead]:
    rows = repository.anomaly_rules(session)
    return [
        RuleRead.model_validate(r).model_copy(update={"kind_label": AnomalyKind(r.kind).label}) for r in rows
    ]


@router.put("/rules", response_model=RuleRead)
def save_rule(session: SessionDep, _: RequireSupervisor, body: RuleIn) -> RuleRead:
    row = service.update_rule(session, **body.model_dump())
    return RuleRead.model_validate(row).model_copy(update={"kind_label": body.kind.label})


@router.get("/restricted-regions", response_model=list[RegionRead])
def list_regions(session: SessionDep, _: CurrentUser) -> list[RegionRead]:
    return [RegionRead.model_validate(r) for r in regions.list_regions(session)]


@router.post("/restricted-regions", response_model=RegionRead, status_code=201)
def save_region(session: SessionDep, _: RequireSupervisor, body: RegionIn) -> RegionRead:
    region, _created = regions.save_region(session, **body.model_dump())
    return RegionRead.model_validate(region)


@router.post("/restricted-regions/import", response_model=RegionImportRead)
async def import_regions(session: SessionDep, _: RequireSupervisor, file: UploadFile) -> RegionImportRead:
    """The daily CSV/XLSX file, as ``aftersales import restricted-regions`` reads it; a file with a
    bad row is refused whole (422 naming each row and column)."""
    data = await file.read()
    report, held = regions.import_upload(session, filename=file.filename or "", data=data)
    return RegionImportRead(created=report.created, updated=report.updated, held_orders=held)


@router.delete("/restricted-regions/{region_id}", status_code=204)
def delete_region(session: SessionDep, _: RequireSupervisor, region_id: Id) -> None:
    regions.delete_region(session, region_id=region_id)


@router.get("/intercepts", response_model=Page[InterceptRead])
def list_intercepts(
    session: SessionDep, _: CurrentUser, page: PageDep, status: InterceptStatus | None = None
) -> Page[InterceptRead]:
    rows, total = paginate_rows(session, repository.intercepts_query(status=status), page)
    return Page(items=[InterceptRead.of(*row) for row in rows], total=total, page=page.page, size=page.size)


@router.get("/intercepts/stats", response_model=InterceptStatsRead)
def intercept_stats(session: SessionDep, _: CurrentUser) -> InterceptStatsRead:
    return InterceptStatsRead.of(intercepts.stats(session))


@router.post("/care/replies", response_model=CareRead)
def record_care_reply(session: SessionDep, _: RequireAgent, body: CareReplyIn) -> CareRead:
    reply = care.record_reply(session, order_id=body.order_id, text=body.text, received_at=body.received_at)
    return CareRead.model_validate(reply)


@router.get("/care/settings/{shop_id}", response_model=CareSettingsIn)
def get_care_settings(session: SessionDep, _: CurrentUser, shop_id: Id) -> CareSettingsIn:
    """The shop's own plan, or the defaults (24 h / 3 days / 7 days, quiet 21:00–09:00)."""
    return CareSettingsIn.model_validate(asdict(care_settings.plan_for(session, shop_id)))


@router.put("/care/settings/{shop_id}", response_model=CareSettingsIn)
def put_care_settings(
    session: SessionDep, _: RequireSupervisor, shop_id: Id, body: CareSettingsIn
) -> CareSettingsIn:
    plan = care_settings.save_plan(session, shop_id=shop_id, values=body.model_dump())
    return CareSettingsIn.model_validate(asdict(plan))


@router.get("/customers/{customer_id}/care", response_model=list[CareRead])
def customer_care(session: SessionDep, _: CurrentUser, customer_id: Id) -> list[CareRead]:
    return [CareRead.model_validate(c) for c in care.history(session, customer_id=customer_id)]


@router.get("/message-templates", response_model=list[TemplateRead])
def list_templates(session: SessionDep, _: CurrentUser) -> list[TemplateRead]:
    rows = all_templates(session)
    return [TemplateRead.model_validate(t) for t in rows]


@router.get("/message-templates/variables", response_model=dict[str, str])
def template_variables(_: CurrentUser) -> dict[str, str]:
    return VARIABLES


@router.put("/message-templates/{code}", response_model=TemplateRead)
def put_template(
    session: SessionDep, _: RequireSupervisor, code: Annotated[str, Path(max_length=64)], body: TemplateIn
) -> TemplateRead:
    template = save_template(session, code=code, **body.model_dump())
    return TemplateRead.model_validate(template)


@router.get("/dead-letters", response_model=list[OutboxRead])
def list_dead_letters(session: SessionDep, user: RequireSupervisor) -> list[OutboxRead]:
    return [
        outbox_read(m, reveal=user.may_see_pii) for m in dead_letters(session, channels=CUSTOMER_CHANNELS)
    ]


@router.post("/dead-letters/{message_id}/retry", status_code=204)
def retry_dead_letter(session: SessionDep, _: RequireSupervisor, message_id: Id) -> None:
    retry_dead(session, message_id=message_id)
