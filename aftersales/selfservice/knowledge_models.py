"""Tables of the knowledge base (知识库): articles per shop and every version of each.

The article row holds the current version's title and body (what the bot, quick replies and the
search read); ``knowledge_versions`` keeps every edit with its author and time, so an older text
can be shown and restored (a restore is itself a new version: history is never rewritten).
"""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import UTCDateTime


class KnowledgeArticle(Base):
    """A policy or an answer; ``shop_id`` NULL is the default every shop shares."""

    __tablename__ = "knowledge_articles"
    __table_args__ = (Index("ix_knowledge_articles_shop_id_intent", "shop_id", "intent"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), comment="policy or answer")
    intent: Mapped[str | None] = mapped_column(String(32), comment="the bot intent an answer serves")
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1, comment="the current version's number")
    search_text: Mapped[str] = mapped_column(Text, default="", comment="jieba tokens of title and body")
    quick_reply_id: Mapped[int | None] = mapped_column(
        ForeignKey("quick_replies.id", ondelete="SET NULL"), comment="the quick reply kept equal to it"
    )
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class KnowledgeVersion(Base):
    """One saved text of an article, never changed after it is written."""

    __tablename__ = "knowledge_versions"
    __table_args__ = (UniqueConstraint("article_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(200), default="", comment="e.g. restored from version 2")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
