"""selfservice: the multi-question satisfaction survey — questionnaires per shop (the defaults
seeded), one invitation per ticket, chat or order, the answers with the question text they
answered; the one-question ``portal_surveys`` rows become order invitations with their answers.

Each old answer is moved under the default 整体满意度 and 留言 questions but keeps the wording the
buyer actually read (您对本次购物和服务满意吗? / 想对我们说的话), so results stay truthful.

Revision ID: 2202_survey
Revises: 0602_automation
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import aftersales.kit.types
from aftersales.selfservice.survey_questions import DEFAULT_QUESTIONS

revision: str = "2202_survey"
down_revision: str | Sequence[str] | None = "0602_automation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_STARS_TEXT = "您对本次购物和服务满意吗?"
OLD_COMMENT_TEXT = "想对我们说的话"
TIME = aftersales.kit.types.UTCDateTime(timezone=True)


def _fk(table: str, column: str, target: str, ondelete: str | None) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _create_tables() -> tuple[sa.Table, sa.Table, sa.Table]:
    questions = op.create_table(
        "survey_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False, comment="the questionnaire's version"),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="overall, stars, yes_no or text"),
        sa.Column("text", sa.String(length=100), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("retired_at", TIME, nullable=True),
        _fk("survey_questions", "shop_id", "shops", "CASCADE"),
        _fk("survey_questions", "created_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_questions")),
    )
    op.create_index("ix_survey_questions_shop_id_retired_at", "survey_questions", ["shop_id", "retired_at"])
    invitations = op.create_table(
        "survey_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=8), nullable=False, comment="ticket, chat or order"),
        sa.Column(
            "subject_key",
            sa.String(length=64),
            nullable=False,
            comment="ticket:<id>, chat:<id> or order:<id>",
        ),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("chat_session_id", sa.Integer(), nullable=True),
        sa.Column(
            "agent_id", sa.Integer(), nullable=True, comment="who served: the assignee or the chat's agent"
        ),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("invited_at", TIME, nullable=True),
        sa.Column("skip_reason", sa.String(length=64), nullable=True, comment="why no message went out"),
        sa.Column("answered_at", TIME, nullable=True),
        sa.Column("overall_stars", sa.Integer(), nullable=True, comment="the 整体满意度 answer, 1-5"),
        _fk("survey_invitations", "shop_id", "shops", "CASCADE"),
        _fk("survey_invitations", "order_id", "orders", "SET NULL"),
        _fk("survey_invitations", "agent_id", "users", "SET NULL"),
        _fk("survey_invitations", "customer_id", "customers", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_invitations")),
        sa.UniqueConstraint("subject_key", name=op.f("uq_survey_invitations_subject_key")),
    )
    for columns in (("shop_id", "answered_at"), ("agent_id", "answered_at"), ("customer_id", "invited_at")):
        op.create_index(f"ix_survey_invitations_{'_'.join(columns)}", "survey_invitations", list(columns))
    answers = op.create_table(
        "survey_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("question_text", sa.String(length=100), nullable=False, comment="as the buyer read it"),
        sa.Column("stars", sa.Integer(), nullable=True),
        sa.Column("yes", sa.Boolean(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        _fk("survey_answers", "invitation_id", "survey_invitations", "CASCADE"),
        _fk("survey_answers", "question_id", "survey_questions", None),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_survey_answers")),
        sa.UniqueConstraint(
            "invitation_id", "question_id", name=op.f("uq_survey_answers_invitation_id_question_id")
        ),
    )
    op.create_index("ix_survey_answers_question_id", "survey_answers", ["question_id"])
    return questions, invitations, answers


def upgrade() -> None:
    questions, invitations, answers = _create_tables()
    now = datetime.now(UTC)
    op.bulk_insert(
        questions,
        [
            {
                "shop_id": None,
                "version": 1,
                "position": n,
                "kind": kind.value,
                "text": text,
                "required": required,
                "created_at": now,
            }
            for n, (kind, text, required) in enumerate(DEFAULT_QUESTIONS, start=1)
        ],
    )
    _move_old_answers(questions, invitations, answers)
    op.drop_table("portal_surveys")


def _move_old_answers(questions: sa.Table, invitations: sa.Table, answers: sa.Table) -> None:
    bind = op.get_bind()
    ids = dict(
        bind.execute(
            sa.select(questions.c.kind, questions.c.id).where(questions.c.kind.in_(("overall", "text")))
        ).all()
    )
    old = sa.table(
        "portal_surveys",
        sa.column("order_id", sa.Integer()),
        sa.column("shop_id", sa.Integer()),
        sa.column("stars", sa.Integer()),
        sa.column("comment", sa.Text()),
        sa.column("answered_at", TIME),
    )
    orders = sa.table("orders", sa.column("id", sa.Integer()), sa.column("customer_id", sa.Integer()))
    rows = bind.execute(
        sa.select(
            old.c.order_id, old.c.shop_id, old.c.stars, old.c.comment, old.c.answered_at, orders.c.customer_id
        )
        .select_from(old.join(orders, orders.c.id == old.c.order_id))
        .order_by(old.c.order_id)
    ).all()
    for order_id, shop_id, stars, comment, answered_at, customer_id in rows:
        invitation_id = bind.execute(
            invitations.insert()
            .values(
                subject_kind="order",
                subject_key=f"order:{order_id}",
                shop_id=shop_id,
                order_id=order_id,
                customer_id=customer_id,
                created_at=answered_at,
                answered_at=answered_at,
                overall_stars=stars,
            )
            .returning(invitations.c.id)
        ).scalar_one()
        moved = [
            {
                "question_id": ids["overall"],
                "position": 1,
                "kind": "overall",
                "question_text": OLD_STARS_TEXT,
                "stars": stars,
            }
        ]
        if comment:
            moved.append(
                {
                    "question_id": ids["text"],
                    "position": 5,
                    "kind": "text",
                    "question_text": OLD_COMMENT_TEXT,
                    "text": comment,
                }
            )
        bind.execute(
            answers.insert(),
            [
                {"invitation_id": invitation_id, "yes": None, **{"stars": None, "text": None, **m}}
                for m in moved
            ],
        )


def downgrade() -> None:
    op.create_table(
        "portal_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("stars", sa.Integer(), nullable=False, comment="1-5"),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_portal_surveys_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_portal_surveys_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_surveys")),
        sa.UniqueConstraint("order_id", name=op.f("uq_portal_surveys_order_id")),
    )
    # The order surveys go back as one score and one comment each; ticket and chat surveys have
    # no place in the old table and are dropped with it.
    op.execute(
        "INSERT INTO portal_surveys (order_id, shop_id, stars, comment, answered_at) "
        "SELECT i.order_id, i.shop_id, i.overall_stars, "
        "(SELECT a.text FROM survey_answers a WHERE a.invitation_id = i.id AND a.kind = 'text' "
        "ORDER BY a.position LIMIT 1), i.answered_at "
        "FROM survey_invitations i WHERE i.subject_kind = 'order' AND i.answered_at IS NOT NULL "
        "AND i.order_id IS NOT NULL"
    )
    op.drop_table("survey_answers")
    op.drop_table("survey_invitations")
    op.drop_table("survey_questions")
