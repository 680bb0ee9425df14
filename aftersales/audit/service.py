"""The audit log of reveals of masked data. Agents and supervisors see phone numbers and addresses
masked; a supervisor who must call a customer or check an address asks for them with a reason, and
the domain that shows them (``orders.service.reveal_pii``) records it here (who, which order,
which fields, why, from where) in the same transaction.
"""

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from aftersales.audit.models import AuditAction, AuditEntry
from aftersales.auth.models import User
from aftersales.kit.errors import NotFoundError, PermissionDeniedError

REVEALED_ORDER_FIELDS = ["receiver_name", "receiver_phone", "address", "customer_phone"]


def record(
    session: Session,
    *,
    actor_id: int,
    action: str,
    subject_type: str,
    subject_id: int,
    fields: list[str],
    reason: str,
    client_ip: str | None = None,
) -> AuditEntry:
    """Append one audit entry; other domains call this when they show unmasked data."""
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        fields=fields,
        reason=reason.strip(),
        client_ip=client_ip,
    )
    session.add(entry)
    session.flush()
    return entry


def authorize_order_export(
    session: Session, *, username: str, shop_id: int | None, reason: str
) -> AuditEntry:
    """An export with whole phone numbers and addresses is one audited reveal of every exported
    order: admins only, recorded (subject: the shop, or 0 for all shops) before any row is written."""
    actor = session.scalar(select(User).where(User.username == username, User.is_active.is_(True)))
    if actor is None:
        raise NotFoundError(f"用户 {username} 不存在或已停用")
    if not actor.may_export_pii:
        raise PermissionDeniedError("导出完整手机号和地址需要管理员权限")
    return record(
        session,
        actor_id=actor.id,
        action=AuditAction.EXPORT_PII,
        subject_type="shop_orders" if shop_id else "all_orders",
        subject_id=shop_id or 0,
        fields=REVEALED_ORDER_FIELDS,
        reason=reason,
    )


def entries_query(
    *, actor_id: int | None = None, subject_type: str | None = None, subject_id: int | None = None
) -> Select[AuditEntry]:
    """Newest first; the filters match the two indexes (by subject, by actor)."""
    query = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if subject_type is not None:
        query = query.where(AuditEntry.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    return query
