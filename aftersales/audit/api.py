"""The audit log (admins). Reveals are recorded by the domains that show the data
(``orders.service.reveal_pii``); signed inbound webhooks are verified by ``audit.webhooks``."""

from fastapi import APIRouter

from aftersales.audit import service
from aftersales.audit.schemas import AuditEntryRead
from aftersales.auth.deps import RequireAdmin, SessionDep
from aftersales.kit.pagination import Page, PageDep, paginate

router = APIRouter(prefix="/api")


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
