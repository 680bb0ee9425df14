"""Audited PII reveal, the audit log, and signed inbound webhooks.

``audit`` sits right after ``auth`` in the domain list because other domains record reveals
through ``audit.service.record``; this module alone also reads ``orders`` (the reveal route and
the courier webhook), which is safe because nothing in ``orders`` imports ``audit``.
"""

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request

from aftersales.audit import service
from aftersales.audit.schemas import AuditEntryRead, OrderPii, RevealRequest
from aftersales.auth.deps import RequireAdmin, RequireSupervisor, SessionDep
from aftersales.kit.pagination import Page, PageDep, paginate
from aftersales.kit.webhooks import SIGNATURE_HEADER, signed_body
from aftersales.orders import service as orders_service
from aftersales.orders.schemas import IngestResult, TrackingEventIn

router = APIRouter(prefix="/api")

WEBHOOK_BATCH_LIMIT = 1000


@router.post("/orders/{order_id}/reveal", response_model=OrderPii, tags=["audit"])
def reveal_order(
    request: Request, session: SessionDep, user: RequireSupervisor, order_id: int, body: RevealRequest
) -> OrderPii:
    """完整手机号与地址(主管及以上),每次查看都写入审计日志。"""
    client_ip = request.client.host if request.client else None
    return service.reveal_order_pii(
        session, actor=user, order_id=order_id, reason=body.reason, client_ip=client_ip
    )


@router.get("/audit/entries", response_model=Page[AuditEntryRead], tags=["audit"])
def list_entries(
    session: SessionDep,
    _: RequireAdmin,
    page: PageDep,
    actor_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
) -> Page[AuditEntryRead]:
    query = service.entries_query(actor_id=actor_id, subject_type=subject_type, subject_id=subject_id)
    rows, total = paginate(session, query, page)
    return Page(
        items=[AuditEntryRead.model_validate(r) for r in rows], total=total, page=page.page, size=page.size
    )


@router.post(
    "/webhooks/{source}/tracking-events",
    response_model=IngestResult,
    tags=["webhooks"],
    summary="Courier/ERP push of tracking events, authenticated by HMAC signature",
    description=f"Header `{SIGNATURE_HEADER}: t=<unix>,v1=<hex hmac-sha256 of 't.body'>` with the source's "
    "secret (`aftersales webhooks secret SOURCE`); requests older than 5 minutes and replays are refused.",
)
def tracking_events_webhook(
    session: SessionDep,
    source: str,
    _: Annotated[bytes, Depends(signed_body("source"))],
    body: Annotated[list[TrackingEventIn], Body(max_length=WEBHOOK_BATCH_LIMIT)],
) -> IngestResult:
    return orders_service.ingest_tracking_events(session, body)
