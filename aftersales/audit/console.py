"""The audit log page for admins: who saw which customer's full phone number or address, and why."""

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from aftersales.audit import service
from aftersales.auth import repository as auth_repository
from aftersales.auth.deps import RequireAdmin, SessionDep
from aftersales.auth.models import Role
from aftersales.kit.pagination import PageDep, paginate
from aftersales.web.render import NavItem, render

router = APIRouter(prefix="/console/audit", include_in_schema=False)

NAV = [NavItem("审计日志", "/console/audit", min_role=Role.ADMIN, group="设置")]

ACTION_LABELS = {"reveal_pii": "查看完整联系方式", "export_pii": "导出完整联系方式"}
FIELD_LABELS = {
    "receiver_name": "收件人",
    "receiver_phone": "收件手机号",
    "address": "详细地址",
    "customer_phone": "买家手机号",
}


@router.get("", response_class=HTMLResponse)
def audit_log(
    request: Request,
    session: SessionDep,
    _: RequireAdmin,
    page: PageDep,
    actor_id: int | None = None,
    subject_id: int | None = None,
) -> Response:
    query = service.entries_query(actor_id=actor_id, subject_id=subject_id)
    rows, total = paginate(session, query, page)
    actor_ids = {row.actor_id for row in rows}
    actors = auth_repository.display_names(session, actor_ids)
    return render(
        request,
        "audit/log.html",
        rows=rows,
        total=total,
        page=page,
        actors=actors,
        actor_id=actor_id,
        subject_id=subject_id,
        action_labels=ACTION_LABELS,
        field_labels=FIELD_LABELS,
    )
