"""满意度问卷 page: a supervisor picks a shop, edits its questionnaire (saved as a new version, or
put back to the defaults) and reads the latest answers under it."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from aftersales.auth.deps import RequireSupervisor, SessionDep
from aftersales.auth.models import Role
from aftersales.catalog import repository as catalog_repository
from aftersales.kit.errors import InvalidInputError
from aftersales.selfservice import repository, survey_questions
from aftersales.selfservice.schemas import QuestionIn
from aftersales.selfservice.survey_models import QUESTION_KIND_LABELS, SubjectKind
from aftersales.web.forms import act_or_rerender
from aftersales.web.render import NavItem, render

router = APIRouter(prefix="/console/selfservice/surveys", include_in_schema=False)
NAV = [NavItem("满意度问卷", "/console/selfservice/surveys", Role.SUPERVISOR, group="评价")]
BLANK_ROWS = 2


def _page(
    request: Request,
    session: Session,
    shop_id: int | None,
    *,
    status_code: int = 200,
    error: str | None = None,
) -> Response:
    shops = catalog_repository.shop_names(session)
    shop = shop_id if shop_id in shops else next(iter(shops), None)
    questions = survey_questions.questionnaire(session, shop)
    recent = repository.recent_survey_answers(session, shop_id=shop, limit=20) if shop is not None else []
    return render(
        request,
        "selfservice/surveys.html",
        status_code=status_code,
        shops=shops,
        shop_id=shop,
        questions=questions,
        is_default=survey_questions.is_default(questions),
        blank_rows=BLANK_ROWS,
        kinds={str(k): label for k, label in QUESTION_KIND_LABELS.items()},
        subjects={str(k): k.label for k in SubjectKind},
        recent=recent,
        answers=repository.answers_by_invitation(session, [i.id for i in recent]),
        error=error,
    )


@router.get("", response_class=HTMLResponse)
def surveys_page(
    request: Request, session: SessionDep, _: RequireSupervisor, shop_id: int | None = None
) -> Response:
    return _page(request, session, shop_id)


def _questions(kinds: list[str], texts: list[str], required: list[str]) -> list[QuestionIn]:
    """The filled rows of the editor (a row with no text is left out)."""
    rows = [(k, t.strip(), r) for k, t, r in zip(kinds, texts, required, strict=False) if t.strip()]
    try:
        return [QuestionIn(kind=k, text=t, required=r == "yes") for k, t, r in rows]
    except ValidationError:
        raise InvalidInputError("questions", "问题类型不正确或问题内容超过 100 字") from None


@router.post("/{shop_id}")
def save_questionnaire(
    request: Request,
    session: SessionDep,
    user: RequireSupervisor,
    shop_id: int,
    kind: Annotated[list[str], Form()],
    text: Annotated[list[str], Form()],
    required: Annotated[list[str], Form()],
) -> Response:
    return act_or_rerender(
        session,
        lambda: survey_questions.save_questionnaire(
            session, shop_id=shop_id, questions=_questions(kind, text, required), actor_id=user.id
        ),
        failed=InvalidInputError,
        rerender=lambda exc: _page(
            request, session, shop_id, status_code=422, error=exc.message.split(": ", 1)[-1]
        ),
        done=lambda _: RedirectResponse(f"/console/selfservice/surveys?shop_id={shop_id}", status_code=303),
    )


@router.post("/{shop_id}/defaults")
def restore_defaults(session: SessionDep, _: RequireSupervisor, shop_id: int) -> Response:
    survey_questions.restore_defaults(session, shop_id=shop_id)
    return RedirectResponse(f"/console/selfservice/surveys?shop_id={shop_id}", status_code=303)
