"""Staff API of the satisfaction survey: read a shop's questionnaire and an invitation's answers;
supervisors save a new version of a shop's questionnaire or put it back to the defaults."""

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict

from aftersales.auth.deps import RequireAgent, RequireSupervisor, SessionDep
from aftersales.kit.types import RowId
from aftersales.selfservice import repository, survey_questions, surveys
from aftersales.selfservice.schemas import QuestionnaireIn, QuestionRead

router = APIRouter(prefix="/surveys")


class QuestionnaireRead(BaseModel):
    shop_id: int
    is_default: bool
    questions: list[QuestionRead]


class AnswerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    question_id: int
    question_text: str
    kind: str
    stars: int | None
    yes: bool | None
    text: str | None


class InvitationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    subject_key: str
    shop_id: int
    agent_id: int | None
    invited_at: datetime | None
    skip_reason: str | None
    answered_at: datetime | None
    overall_stars: int | None
    answers: list[AnswerRead] = []


def _questionnaire(session: SessionDep, shop_id: int) -> QuestionnaireRead:
    questions = survey_questions.questionnaire(session, shop_id)
    return QuestionnaireRead(
        shop_id=shop_id,
        is_default=survey_questions.is_default(questions),
        questions=[QuestionRead.model_validate(q) for q in questions],
    )


@router.get("/questionnaires/{shop_id}", response_model=QuestionnaireRead)
def get_questionnaire(session: SessionDep, _: RequireAgent, shop_id: RowId) -> QuestionnaireRead:
    """The questions the shop's buyers are asked now (the defaults until it saves its own)."""
    return _questionnaire(session, shop_id)


@router.put("/questionnaires/{shop_id}", response_model=QuestionnaireRead)
def save_questionnaire(
    session: SessionDep, user: RequireSupervisor, shop_id: RowId, body: QuestionnaireIn
) -> QuestionnaireRead:
    """A new version; answers given to the previous one keep the questions they answered."""
    survey_questions.save_questionnaire(session, shop_id=shop_id, questions=body.questions, actor_id=user.id)
    return _questionnaire(session, shop_id)


@router.delete("/questionnaires/{shop_id}", response_model=QuestionnaireRead)
def restore_defaults(session: SessionDep, _: RequireSupervisor, shop_id: RowId) -> QuestionnaireRead:
    survey_questions.restore_defaults(session, shop_id=shop_id)
    return _questionnaire(session, shop_id)


@router.get("/invitations/{invitation_id}", response_model=InvitationRead)
def get_invitation(session: SessionDep, _: RequireAgent, invitation_id: RowId) -> InvitationRead:
    invitation = surveys.get_invitation(session, invitation_id)
    answers = [AnswerRead.model_validate(a) for a in repository.survey_answers(session, invitation.id)]
    return InvitationRead.model_validate(invitation).model_copy(update={"answers": answers})
