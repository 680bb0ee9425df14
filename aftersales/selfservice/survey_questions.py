"""Each shop's satisfaction questionnaire (满意度问卷): the default questions, and a supervisor's
own version per shop.

The defaults follow the seeds' service targets: seed 004 sets 满意度 > 90% and a 20-second first
response, seed 001 splits unhappy customers by 客服态度 and by whether the problem was handled, so
the questionnaire asks 整体满意度 (1-5 星), 问题是否解决 (是/否), 客服态度 and 处理速度 (1-5 星)
and leaves room for a 留言. A questionnaire has exactly one 整体满意度 question: the 复盘's 满意率
and the low-answer follow-up read it.

Saving never edits a question in place: the shop's current questions are retired and the new list
written as the next version, so every answer keeps pointing at the wording it answered.
"""

from collections.abc import Sequence

from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.refs import require_refs
from aftersales.kit.time import utcnow
from aftersales.selfservice import repository
from aftersales.selfservice.schemas import QuestionIn
from aftersales.selfservice.survey_models import QuestionKind, SurveyQuestion

DEFAULT_QUESTIONS: tuple[tuple[QuestionKind, str, bool], ...] = (
    (QuestionKind.OVERALL, "您对本次服务的整体满意度", True),
    (QuestionKind.YES_NO, "您的问题是否已经解决", True),
    (QuestionKind.STARS, "客服的服务态度", True),
    (QuestionKind.STARS, "处理速度", True),
    (QuestionKind.TEXT, "还有什么想对我们说的", False),
)
MAX_QUESTIONS = 10


def questionnaire(session: Session, shop_id: int | None) -> list[SurveyQuestion]:
    """The shop's current questions, or the defaults while it has none of its own."""
    own = repository.active_questions(session, shop_id) if shop_id is not None else []
    return own or repository.active_questions(session, None)


def is_default(questions: Sequence[SurveyQuestion]) -> bool:
    return not questions or questions[0].shop_id is None


def _check(questions: Sequence[QuestionIn]) -> None:
    if not 1 <= len(questions) <= MAX_QUESTIONS:
        raise InvalidInputError("questions", f"问卷须有 1 到 {MAX_QUESTIONS} 个问题")
    overall = [q for q in questions if q.kind == QuestionKind.OVERALL]
    if len(overall) != 1:
        raise InvalidInputError("questions", "问卷须有且只有一个「整体满意度」问题")
    if not overall[0].required:
        raise InvalidInputError("questions", "「整体满意度」问题必须作答")
    texts = [q.text.strip() for q in questions]
    for position, text in enumerate(texts, start=1):
        if not text:
            raise InvalidInputError(f"questions.{position}", f"第 {position} 个问题的内容不能为空")
        if texts.index(text) != position - 1:
            raise InvalidInputError(f"questions.{position}", f"问题「{text}」重复了")


def save_questionnaire(
    session: Session, *, shop_id: int, questions: Sequence[QuestionIn], actor_id: int | None
) -> list[SurveyQuestion]:
    """The shop's next version; its current questions are retired, their answers keep them."""
    require_refs(session, {"shop_id": (Shop, shop_id)})
    _check(questions)
    now = utcnow()
    current = repository.active_questions(session, shop_id)
    for old in current:
        old.retired_at = now
    version = repository.last_question_version(session, shop_id) + 1
    rows = [
        SurveyQuestion(
            shop_id=shop_id,
            version=version,
            position=position,
            kind=q.kind,
            text=q.text.strip(),
            required=q.required,
            created_by=actor_id,
        )
        for position, q in enumerate(questions, start=1)
    ]
    session.add_all(rows)
    session.flush()
    return rows


def restore_defaults(session: Session, *, shop_id: int) -> None:
    """The shop goes back to the default questions (its own are retired, not deleted)."""
    now = utcnow()
    for old in repository.active_questions(session, shop_id):
        old.retired_at = now
    session.flush()
