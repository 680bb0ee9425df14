"""Reviews ⇄ tickets through the contracts in docs/contracts.md.

Bad, middling and five-star-negative reviews each open one system ticket, idempotent by
``("reviews", "review:<id>")`` and routed to the supervisors (seed 003). The tickets package is
imported when used, not at import time, so this package loads in any order of the registry.
"""

import logging
from types import ModuleType
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session

from aftersales.reviews import repository
from aftersales.reviews.models import Review

log = logging.getLogger(__name__)

SOURCE = "reviews"
GROUP = "supervisors"

# complaint topic -> (category, subcategory) of the ticket taxonomy (seed 004)
TOPIC_CATEGORY: dict[str, tuple[str, str]] = {
    "物流": ("物流问题", "物流延迟"),
    "破损": ("商品问题", "质量问题"),
    "少件": ("商品问题", "错发漏发"),
    "描述不符": ("商品问题", "描述不符"),
    "尺寸": ("商品问题", "描述不符"),
    "外观": ("商品问题", "描述不符"),
    "客服": ("服务问题", "服务态度"),
    "价格": ("其他", "其他"),
}
DEFAULT_CATEGORY = ("商品问题", "质量问题")
EMOTION_CATEGORY = {
    "物流": ("物流问题", "物流延迟"),
    "态度": ("服务问题", "服务态度"),
    "少件": ("商品问题", "错发漏发"),
}


class ReviewLike(Protocol):
    id: int
    stars: int
    is_mismatch: bool
    emotion_label: str | None


def tickets_service() -> ModuleType:
    from aftersales.tickets import service

    return service


def open_review_tickets(session: Session, reviews: list[Any]) -> int:
    """One ticket per review that needs a supervisor; returns how many were newly opened."""
    if not reviews:
        return 0
    service = tickets_service()
    opened = 0
    links = []
    for review in repository.reviews_by_id(session, [r.id for r in reviews]):
        ticket, created = service.open_system_ticket(session, **ticket_fields(review))
        opened += int(created)
        if review.ticket_id != ticket.id:
            links.append({"id": review.id, "ticket_id": ticket.id})
    if links:
        session.execute(update(Review), links)
    return opened


def ticket_fields(review: Review) -> dict[str, Any]:
    category, subcategory = _category(review)
    kind = "五星差评" if review.is_mismatch else {1: "差评", 2: "差评", 3: "中评"}.get(review.stars, "评价")
    severity = "high" if review.stars == 1 or review.demands_compensation or review.is_mismatch else "medium"
    if review.stars == 3 and not review.is_mismatch:
        severity = "low"
    return {
        "source": SOURCE,
        "source_key": f"review:{review.id}",
        "shop_id": review.shop_id,
        "order_id": review.order_id,
        "customer_id": review.customer_id,
        "type": "complaint",
        "category": category,
        "subcategory": subcategory,
        "title": f"{kind} {'★' * review.stars} {review.sku_code or ''}".strip(),
        "description": review.text or "(无文字内容)",
        "severity": severity,
        "group_code": GROUP,
        "data": {"review_id": review.id, "complaints": list(review.complaints or []), "stars": review.stars},
    }


def _category(review: Review) -> tuple[str, str]:
    for topic in review.complaints or []:
        if topic in TOPIC_CATEGORY:
            return TOPIC_CATEGORY[topic]
    if review.complaints:
        return DEFAULT_CATEGORY
    return EMOTION_CATEGORY.get(review.emotion_label or "", DEFAULT_CATEGORY)


def ticket_note(session: Session, *, ticket_id: int, actor_id: int | None, message: str) -> None:
    tickets_service().add_timeline_entry(
        session, ticket_id=ticket_id, actor_id=actor_id, kind="review_reply", message=message
    )
