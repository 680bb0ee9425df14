"""Background work of the reviews domain."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.jobs.registry import job
from aftersales.kit.time import utcnow
from aftersales.reviews import channels, ratings, voc

__all__ = ["channels", "invite_finished_chats", "voc_feedback"]


@job("reviews.invite_finished_chats", every=timedelta(minutes=10))
def invite_finished_chats(session: Session) -> dict[str, Any]:
    """Rating invitations (邀评) for chats an agent served that have gone quiet."""
    return {"registered": ratings.invite_finished_chats(session)}


@job("reviews.voc_feedback", every=timedelta(days=1))
def voc_feedback(session: Session, now: str | None = None) -> dict[str, Any]:
    """Chat and review VOC per SKU onto the department feedback board (last and this week's counts)."""
    return {"items": voc.feed_department(session, now=datetime.fromisoformat(now) if now else utcnow())}
