"""Tables of the satisfaction survey (满意度问卷): each shop's questionnaire, one invitation per
surveyed subject, and the answers.

* ``survey_questions``: a question of a questionnaire. ``shop_id`` NULL is the default every shop
  without its own uses (seeded by migration 2202). Questions are never edited in place: saving a
  questionnaire retires the shop's current questions and writes a new ``version``, so an answer
  always points at the exact question it answered.
* ``survey_invitations``: one per subject, ``subject_key`` unique: ``ticket:<id>`` (a resolved
  ticket), ``chat:<id>`` (an ended chat) or ``order:<id>`` (the after-delivery care survey, the
  ticket-less case that the old one-star-answer ``portal_surveys`` became). ``overall_stars`` is
  the 整体满意度 answer, kept on the invitation because the 复盘 and the low-answer rule read it.
* ``survey_answers``: one per question answered, with the question's text and kind copied in, so
  results read what the buyer was asked even after the questionnaire changes.

Cross-domain ids (``ticket_id``, ``chat_session_id``) are plain integers, as elsewhere here.
"""

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import UTCDateTime


class QuestionKind(enum.StrEnum):
    OVERALL = "overall"
    STARS = "stars"
    YES_NO = "yes_no"
    TEXT = "text"

    @property
    def label(self) -> str:
        return QUESTION_KIND_LABELS[self]


QUESTION_KIND_LABELS = {
    QuestionKind.OVERALL: "整体满意度(1-5 星)",
    QuestionKind.STARS: "评分(1-5 星)",
    QuestionKind.YES_NO: "是/否",
    QuestionKind.TEXT: "文字留言",
}


class SubjectKind(enum.StrEnum):
    TICKET = "ticket"
    CHAT = "chat"
    ORDER = "order"

    @property
    def label(self) -> str:
        return {"ticket": "工单", "chat": "会话", "order": "订单"}[self.value]


class SurveyQuestion(Base):
    __tablename__ = "survey_questions"
    __table_args__ = (Index("ix_survey_questions_shop_id_retired_at", "shop_id", "retired_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer, default=1, comment="the questionnaire's version")
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), comment="overall, stars, yes_no or text")
    text: Mapped[str] = mapped_column(String(100))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyInvitation(Base):
    __tablename__ = "survey_invitations"
    __table_args__ = (
        UniqueConstraint("subject_key"),
        Index("ix_survey_invitations_shop_id_answered_at", "shop_id", "answered_at"),
        Index("ix_survey_invitations_agent_id_answered_at", "agent_id", "answered_at"),
        Index("ix_survey_invitations_customer_id_invited_at", "customer_id", "invited_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(String(8), comment="ticket, chat or order")
    subject_key: Mapped[str] = mapped_column(String(64), comment="ticket:<id>, chat:<id> or order:<id>")
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    chat_session_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), comment="who served: the assignee or the chat's agent"
    )
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    invited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    skip_reason: Mapped[str | None] = mapped_column(String(64), comment="why no message went out")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overall_stars: Mapped[int | None] = mapped_column(Integer, comment="the 整体满意度 answer, 1-5")


class SurveyAnswer(Base):
    __tablename__ = "survey_answers"
    __table_args__ = (
        UniqueConstraint("invitation_id", "question_id"),
        Index("ix_survey_answers_question_id", "question_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("survey_invitations.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    question_text: Mapped[str] = mapped_column(String(100), comment="as the buyer read it")
    stars: Mapped[int | None] = mapped_column(Integer)
    yes: Mapped[bool | None] = mapped_column(Boolean)
    text: Mapped[str | None] = mapped_column(Text)
