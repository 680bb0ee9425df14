"""Background work of the self-service domain."""

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.jobs.registry import job
from aftersales.selfservice import service, surveys


@job("selfservice.chase_returns", every=timedelta(hours=1))
def chase_returns(session: Session) -> dict[str, Any]:
    """Remind customers whose self-send return is overdue (once per task; idempotent by key)."""
    return {"reminded": service.chase_self_sent_returns(session)}


@job("selfservice.survey_chats", every=timedelta(minutes=10))
def survey_chats(session: Session) -> dict[str, Any]:
    """The questionnaire for chats an agent served that have gone quiet (once per chat)."""
    return {"invited": surveys.invite_finished_chats(session)}
