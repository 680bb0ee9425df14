"""selfservice: the knowledge base (articles per shop and every version), seeded from the bot FAQ.

Every FAQ row (the defaults and any shop's own) becomes an answer article at version 1, titled
with its intent's label, so the bot says exactly what it said before the upgrade.

Revision ID: 0960_knowledge
Revises: 0601
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import yaml
from alembic import op

import aftersales.kit.types
from aftersales.selfservice.knowledge import search_text

revision: str = "0960_knowledge"
down_revision: str | Sequence[str] | None = "0601"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATASET = Path(__file__).resolve().parents[2] / "aftersales" / "selfservice" / "data" / "bot_faq.yaml"


def _create_tables() -> tuple[sa.Table, sa.Table]:
    articles = op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False, comment="policy or answer"),
        sa.Column("intent", sa.String(length=32), nullable=True, comment="the bot intent an answer serves"),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False, comment="the current version's number"),
        sa.Column("search_text", sa.Text(), nullable=False, comment="jieba tokens of title and body"),
        sa.Column("quick_reply_id", sa.Integer(), nullable=True, comment="the quick reply kept equal to it"),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["quick_reply_id"],
            ["quick_replies.id"],
            name=op.f("fk_knowledge_articles_quick_reply_id_quick_replies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_knowledge_articles_shop_id_shops"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"],
            ["users.id"],
            name=op.f("fk_knowledge_articles_updated_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
    )
    op.create_index("ix_knowledge_articles_shop_id_intent", "knowledge_articles", ["shop_id", "intent"])
    versions = op.create_table(
        "knowledge_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False, comment="e.g. restored from version 2"),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", aftersales.kit.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["knowledge_articles.id"],
            name=op.f("fk_knowledge_versions_article_id_knowledge_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_knowledge_versions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_versions")),
        sa.UniqueConstraint("article_id", "version", name=op.f("uq_knowledge_versions_article_id_version")),
    )
    return articles, versions


def _seed(articles: sa.Table, versions: sa.Table) -> None:
    """One answer article per FAQ row, with its first version."""
    labels = {
        code: spec["label"] for code, spec in yaml.safe_load(DATASET.read_text("utf-8"))["intents"].items()
    }
    bind = op.get_bind()
    faq = sa.table(
        "bot_faq_entries",
        sa.column("shop_id"),
        sa.column("intent"),
        sa.column("answer"),
        sa.column("updated_by"),
    )
    now = datetime.now(UTC)
    for shop_id, intent, answer, author in bind.execute(sa.select(faq).order_by(faq.c.intent)).all():
        if intent not in labels:
            continue
        title = labels[intent]
        article_id = bind.execute(
            articles.insert()
            .values(
                shop_id=shop_id,
                kind="answer",
                intent=intent,
                title=title,
                body=answer,
                version=1,
                search_text=search_text(title, answer),
                updated_by=author,
                updated_at=now,
            )
            .returning(articles.c.id)
        ).scalar_one()
        bind.execute(
            versions.insert().values(
                article_id=article_id,
                version=1,
                title=title,
                body=answer,
                note="新建",
                author_id=author,
                created_at=now,
            )
        )


def upgrade() -> None:
    _seed(*_create_tables())


def downgrade() -> None:
    op.drop_table("knowledge_versions")
    op.drop_index("ix_knowledge_articles_shop_id_intent", table_name="knowledge_articles")
    op.drop_table("knowledge_articles")
