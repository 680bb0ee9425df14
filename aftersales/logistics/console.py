"""Console pages: anomalies to follow up, restricted regions, interceptions, proactive messages."""

from datetime import datetime, time, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.auth.models import Role, User
from aftersales.catalog import repository as catalog_repository
from aftersales.jobs import enqueue
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.pagination import PageDep, paginate_rows
from aftersales.kit.time import as_utc, utcnow
from aftersales.logistics import care, care_settings, intercepts, regions, repository, service
from aftersales.logistics.errors import RegionImportError
from aftersales.logistics.models import (
    ANOMALY_LABELS,
    AnomalyKind,
    AnomalyStatus,
    InterceptStatus,
)
from aftersales.logistics.schemas import (
    AnomalyRead,
    CareSettingsIn,
    InterceptRead,
    InterceptStatsRead,
    masked_destination,
    outbox_read,
)
from aftersales.messaging.models import OutboxStatus
from aftersales.messaging.service import STATUS_LABELS as OUTBOX_LABELS
from aftersales.messaging.service import (
    dead_letters,
    explain,
    held_messages,
    messages_about,
    pending_messages,
    recent_messages,
    retry_dead,
)
from aftersales.messaging.templates import CHANNELS, VARIABLES, all_templates, save_template, template_names
from aftersales.orders.couriers import COURIERS
from aftersales.orders.models import Order
from aftersales.web.export import export_rows, money, xlsx_response
from aftersales.web.forms import act_or_rerender
from aftersales.web.home import LEAD_HOME, Tile, register_tile
from aftersales.web.panels import Panel, no_panel, register_panel, render_panel
from aftersales.web.render import NavItem, render
from aftersales.web.sorting import sorted_by

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
BASE = "/console/logistics"
MESSAGES = "/console/logistics-messages"
PREVIEW_SPAN = timedelta(days=1)

NAV = [
    NavItem("物流跟单", "/console/logistics", group="物流"),
    NavItem("主动消息", "/console/logistics-messages", group="物流"),
]
CUSTOMER_CHANNELS = ["platform_im", "sms", "email"]


REGION_PANEL = Panel("停发地区", BASE + "/panels/order/{order_id}/region")
CARE_PANEL = Panel("签收回访记录", BASE + "/panels/order/{order_id}/care")
MESSAGES_PANEL = Panel("自动消息", BASE + "/panels/order/{order_id}/messages")
for _page in ("order_detail", "ticket_detail"):
    register_panel(_page, REGION_PANEL)
    register_panel(_page, CARE_PANEL)
register_panel("order_detail", MESSAGES_PANEL)
CHANNEL_LABELS = {"platform_im": "平台旺旺/站内信", "sms": "短信", "email": "邮件", "webhook": "Webhook"}


def _open_anomalies(session: Session, _user: User) -> int:
    return sum(
        n for (_kind, status), n in service.counts_by_kind_and_status(session).items() if status == "open"
    )


register_tile(Tile("待跟进物流异常", BASE + "?status=open", _open_anomalies, LEAD_HOME, "warn", 50))


@router.get(BASE, response_class=HTMLResponse)
def anomalies(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    status: AnomalyStatus | None = AnomalyStatus.OPEN,
    kind: AnomalyKind | None = None,
    courier: str | None = None,
    q: str | None = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    export: Literal["xlsx"] | None = None,
) -> Response:
    query = service.list_anomalies(status=status, kind=kind, courier=courier, number=q)
    query = sorted_by(query, repository.ANOMALY_SORTS, sort)
    if export:
        found = [AnomalyRead.of(*row) for row in export_rows(session, query)]
        return xlsx_response(
            "物流异常",
            ["类型", "订单号", "快递", "运单号", "最后位置", "起算时间", "最近发现", "工单", "已通知买家"],
            (
                [
                    a.kind_label,
                    a.order_no,
                    a.courier_name,
                    a.tracking_no,
                    a.last_location,
                    a.observed_at,
                    a.last_seen_at,
                    a.ticket_id,
                    "是" if a.message_queued else "否",
                ]
                for a in found
            ),
        )
    rows, total = paginate_rows(session, query, page)
    return render(
        request,
        "logistics/anomalies.html",
        anomalies=[AnomalyRead.of(*row) for row in rows],
        total=total,
        page=page,
        counts=service.counts_by_kind_and_status(session),
        kinds=ANOMALY_LABELS,
        couriers=COURIERS,
        status=status,
        kind=kind,
        courier=courier or "",
        q=q or "",
        sorts=repository.ANOMALY_SORTS,
        sort=sort,
        rules=repository.anomaly_rules(session),
        template_names=template_names(session),
        supervisor=user.role.at_least(Role.SUPERVISOR),
    )


@router.post(BASE + "/scan")
def scan_now(session: SessionDep, _: RequireSupervisor) -> Response:
    service.scan(session)
    enqueue(session, "logistics.follow_up")
    return RedirectResponse("/console/logistics", status_code=303)


@router.post(BASE + "/anomalies/{anomaly_id}/resolve")
def resolve(session: SessionDep, _: RequireAgent, anomaly_id: Id) -> Response:
    service.resolve_anomaly(session, anomaly_id=anomaly_id)
    return RedirectResponse("/console/logistics", status_code=303)


@router.get(BASE + "/panels/order/{order_id}/region", response_class=HTMLResponse)
def region_panel(request: Request, session: SessionDep, _: CurrentUser, order_id: Id) -> Response:
    """The order/ticket page's 停发地区 card: the order goes to a restricted region, so the warehouse
    holds it or the parcel may stall. No hold, no card."""
    holds = regions.holds_for_order(session, order_id)
    if not holds:
        return no_panel()
    return render_panel(
        request, REGION_PANEL, "logistics/_region_panel.html", tone="warn", holds=holds, couriers=COURIERS
    )


@router.get(BASE + "/panels/order/{order_id}/messages", response_class=HTMLResponse)
def messages_panel(request: Request, session: SessionDep, _: CurrentUser, order_id: Id) -> Response:
    """What automation sent or held about the order, each with why (rule, finding, parcel,
    template version); "warn" when a message is held for a supervisor."""
    messages = [
        (m, m.payload.get("text", ""), explain(m.reason), OUTBOX_LABELS.get(m.status, m.status))
        for m in messages_about(session, subject=("order", order_id))
    ]
    tone = "warn" if any(m.status == "held" for m, *_ in messages) else ""
    return render_panel(
        request, MESSAGES_PANEL, "logistics/_messages_panel.html", tone=tone, messages=messages
    )


@router.get(BASE + "/panels/order/{order_id}/care", response_class=HTMLResponse)
def care_panel(
    request: Request, session: SessionDep, _: CurrentUser, order_id: Id, all: bool = False
) -> Response:
    """The buyer's care record over all their orders, so a complaint reads against earlier replies;
    "bad" when any reply was negative (anywhere in the record, shown or not). No record (or no
    such order), no card."""
    order = session.get(Order, order_id)
    steps = care.history(session, customer_id=order.customer_id) if order is not None else []
    if not steps:
        return no_panel()
    tone = "bad" if any(step.reply_negative for step in steps) else ""
    shown = steps if all else care.panel_steps(steps, order_id=order_id)
    return render_panel(
        request,
        CARE_PANEL,
        "logistics/_care_panel.html",
        tone=tone,
        steps=shown,
        hidden=len(steps) - len(shown),
        order_id=order_id,
    )


@router.post(BASE + "/rules")
def save_rule(
    session: SessionDep,
    _: RequireSupervisor,
    kind: Annotated[AnomalyKind, Form()],
    threshold_hours: Annotated[int, Form(ge=0, le=720)],
    courier: Annotated[str, Form(max_length=16)] = "*",
    notify_customer: Annotated[bool, Form()] = False,
    enabled: Annotated[bool, Form()] = False,
    template_code: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    service.update_rule(
        session,
        kind=kind,
        courier=courier,
        threshold_hours=threshold_hours,
        enabled=enabled,
        notify_customer=notify_customer,
        template_code=template_code or None,
    )
    return RedirectResponse("/console/logistics#rules", status_code=303)


@router.get(BASE + "/regions", response_class=HTMLResponse)
def region_list(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    created: int | None = None,
    updated: int | None = None,
    held: int | None = None,
) -> Response:
    imported = None if created is None else {"created": created, "updated": updated or 0, "held": held or 0}
    return _regions_page(request, session, user.role, imported=imported)


def _regions_page(
    request: Request, session: SessionDep, role: Role, *, status_code: int = 200, **context: object
) -> Response:
    return render(
        request,
        "logistics/regions.html",
        status_code=status_code,
        regions=regions.list_regions(session),
        holds=regions.hold_counts(session),
        couriers=COURIERS,
        supervisor=role.at_least(Role.SUPERVISOR),
        **context,
    )


@router.post(BASE + "/regions/import")
async def import_regions(
    request: Request, session: SessionDep, user: RequireSupervisor, file: UploadFile
) -> Response:
    """Upload of the daily file; bad rows are listed on the page and nothing is stored."""
    try:
        report, held = regions.import_upload(session, filename=file.filename or "", data=await file.read())
    except RegionImportError as exc:
        return _regions_page(request, session, user.role, status_code=422, import_errors=exc.errors)
    query = f"created={report.created}&updated={report.updated}&held={held}"
    return RedirectResponse(f"{BASE}/regions?{query}", status_code=303)


def _local(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise InvalidInputError("valid_from", f"时间格式错误: {value}") from None


@router.post(BASE + "/regions")
def add_region(
    session: SessionDep,
    _: RequireSupervisor,
    province: Annotated[str, Form(min_length=1, max_length=32)],
    reason: Annotated[str, Form(min_length=1, max_length=200)],
    city: Annotated[str, Form(max_length=32)] = "",
    district: Annotated[str, Form(max_length=32)] = "",
    courier: Annotated[str, Form(max_length=16)] = "*",
    valid_from: Annotated[str | None, Form()] = None,
    valid_until: Annotated[str | None, Form()] = None,
) -> Response:
    regions.save_region(
        session,
        province=province,
        city=city,
        district=district,
        courier=courier,
        reason=reason,
        valid_from=_local(valid_from),
        valid_until=_local(valid_until),
    )
    return RedirectResponse("/console/logistics/regions", status_code=303)


@router.post(BASE + "/regions/{region_id}/delete")
def remove_region(session: SessionDep, _: RequireSupervisor, region_id: Id) -> Response:
    regions.delete_region(session, region_id=region_id)
    return RedirectResponse("/console/logistics/regions", status_code=303)


@router.get(BASE + "/intercepts", response_class=HTMLResponse)
def intercept_list(
    request: Request,
    session: SessionDep,
    _: CurrentUser,
    page: PageDep,
    status: InterceptStatus | None = None,
    q: str | None = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    export: Literal["xlsx"] | None = None,
) -> Response:
    query = sorted_by(repository.intercepts_query(status=status, number=q), repository.INTERCEPT_SORTS, sort)
    if export:
        found = [InterceptRead.of(*row) for row in export_rows(session, query)]
        return xlsx_response(
            "退款拦截",
            ["订单号", "快递", "运单号", "状态", "货值(元)", "退款申请", "发起拦截", "结果时间", "说明"],
            (
                [
                    i.order_no,
                    i.courier_name,
                    i.tracking_no,
                    i.status_label,
                    money(i.goods_value_fen),
                    i.refund_requested_at,
                    i.requested_at,
                    i.resolved_at,
                    i.detail,
                ]
                for i in found
            ),
        )
    rows, total = paginate_rows(session, query, page)
    return render(
        request,
        "logistics/intercepts.html",
        intercepts=[InterceptRead.of(*row) for row in rows],
        total=total,
        page=page,
        stats=InterceptStatsRead.of(intercepts.stats(session)),
        statuses={s: s.label for s in InterceptStatus},
        status=status,
        q=q or "",
        sorts=repository.INTERCEPT_SORTS,
        sort=sort,
    )


@router.get(MESSAGES, response_class=HTMLResponse)
def messages(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return _messages_page(request, session, user.may_see_pii, user.role.at_least(Role.SUPERVISOR))


def _messages_page(
    request: Request,
    session: SessionDep,
    reveal: bool,
    supervisor: bool,
    error: str | None = None,
    status: int = 200,
) -> Response:
    recent = recent_messages(session, channels=CUSTOMER_CHANNELS)
    dead = dead_letters(session, channels=CUSTOMER_CHANNELS) if supervisor else []
    held = held_messages(session, channels=CUSTOMER_CHANNELS) if supervisor else []
    return render(
        request,
        "logistics/messages.html",
        status_code=status,
        recent=[(outbox_read(m, reveal=reveal), m.payload.get("text", "")) for m in recent],
        dead=[(outbox_read(m, reveal=reveal), m.payload.get("text", "")) for m in dead],
        held=[(outbox_read(m, reveal=reveal), m.payload.get("text", "")) for m in held],
        templates=all_templates(session),
        variables=VARIABLES,
        channels={c: CHANNEL_LABELS[c] for c in CHANNELS},
        error=error,
        supervisor=supervisor,
    )


@router.get(MESSAGES + "/preview", response_class=HTMLResponse)
def preview(request: Request, session: SessionDep, user: RequireSupervisor) -> Response:
    """Dry run: what automation would send over the next day, with why; nothing is queued."""
    now = utcnow()
    items = care.upcoming(session, now=now, until=now + PREVIEW_SPAN)
    queued = pending_messages(session, channels=CUSTOMER_CHANNELS, now=now)
    rows = [
        (
            m.next_attempt_at,
            "已排队",
            masked_destination(m.channel, m.destination, reveal=user.may_see_pii),
            m.payload.get("text", ""),
            explain(m.reason),
            m.last_error,
        )
        for m in queued
    ] + [
        (
            r["due_at"],
            "计划发送" if r.get("status") != OutboxStatus.HELD else "将被暂缓",
            masked_destination(r["channel"], r["destination"], reveal=user.may_see_pii),
            r["payload"]["text"],
            explain(r["reason"]),
            r.get("last_error"),
        )
        for r in items
    ]
    return render(request, "logistics/preview.html", rows=rows, until=now + PREVIEW_SPAN)


@router.post(MESSAGES + "/templates")
def put_template(
    request: Request,
    session: SessionDep,
    user: RequireSupervisor,
    code: Annotated[str, Form(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")],
    name: Annotated[str, Form(min_length=1, max_length=128)],
    body: Annotated[str, Form(min_length=1, max_length=2000)],
    channel: Annotated[str, Form(max_length=32)] = "platform_im",
) -> Response:
    """Unknown variables are refused here, at save time, and shown on the page."""
    return act_or_rerender(
        session,
        lambda: save_template(session, code=code, name=name, body=body, channel=channel),
        failed=InvalidInputError,
        rerender=lambda exc: _messages_page(
            request, session, user.may_see_pii, True, error=exc.message, status=422
        ),
        done=lambda _: RedirectResponse("/console/logistics-messages", status_code=303),
    )


@router.post(MESSAGES + "/dead/{message_id}/retry")
def retry(session: SessionDep, _: RequireSupervisor, message_id: Id) -> Response:
    retry_dead(session, message_id=message_id)
    return RedirectResponse("/console/logistics-messages", status_code=303)


@router.get(BASE + "/care", response_class=HTMLResponse)
def care_page(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    plans = care_settings.plans_by_shop(session)
    shops = catalog_repository.shops(session)
    rows = [(shop, plans.get(shop.id, care_settings.DEFAULT_PLAN), shop.id not in plans) for shop in shops]
    return render(request, "logistics/care.html", rows=rows, supervisor=user.role.at_least(Role.SUPERVISOR))


@router.post(BASE + "/care/{shop_id}")
def save_care(
    session: SessionDep,
    _: RequireSupervisor,
    shop_id: Id,
    care_delay_hours: Annotated[int, Form(ge=1, le=720)],
    usage_delay_hours: Annotated[int, Form(ge=1, le=1440)],
    feedback_delay_hours: Annotated[int, Form(ge=1, le=2160)],
    quiet_start: Annotated[str, Form()],
    quiet_end: Annotated[str, Form()],
) -> Response:
    values = CareSettingsIn(
        care_delay_hours=care_delay_hours,
        usage_delay_hours=usage_delay_hours,
        feedback_delay_hours=feedback_delay_hours,
        quiet_start=_clock(quiet_start, "quiet_start"),
        quiet_end=_clock(quiet_end, "quiet_end"),
    )
    care_settings.save_plan(session, shop_id=shop_id, values=values.model_dump())
    return RedirectResponse(BASE + "/care", status_code=303)


def _clock(value: str, field: str) -> time:
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(field, f"时间格式错误(应为 HH:MM): {value}") from None
