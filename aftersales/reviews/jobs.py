"""Background work of the reviews domain."""

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.jobs.registry import job
from aftersales.reviews import channels, ratings

__all__ = ["channels", "invite_finished_chats"]


@job("reviews.invite_finished_chats", every=timedelta(minutes=10))
def invite_finished_chats(session: Session) -> dict[str, Any]:
    """Rating invitations (邀评) for chats an agent served that have gone quiet."""
    return {"registered": ratings.invite_finished_chats(session)}
