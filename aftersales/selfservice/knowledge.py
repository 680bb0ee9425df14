"""The knowledge base (知识库): policies and answers per shop, versioned, searched by agents.

* Every save is a new ``knowledge_versions`` row with its author and time; the article row carries
  the current text. Restoring an old version writes it again as the newest version, so the history
  shows who restored what and when. A save names the version the editor started from; if someone
  saved in between, it is refused (409) instead of silently dropping their text.
* An answer article bound to a bot intent is what the bot says for it (``faq.shop_faq`` reads the
  shop's article first, then the shop's FAQ entry, the default article, the default entry); saving a
  FAQ answer saves a version here too, so the two never disagree.
* An article published as a quick reply keeps that reply's title and body equal to its current
  version (validated by the messaging template engine like any quick reply).
* Search: the title and body are cut with jieba (search mode) into ``search_text`` when saved; a
  query is cut the same way and matched token by token with ``LIKE`` (the same SQL on PostgreSQL and
  SQLite), ranked by how many query tokens an article contains, title hits counting double.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.refs import require_refs
from aftersales.kit.time import utcnow
from aftersales.selfservice import quickreplies
from aftersales.selfservice.errors import KnowledgeEditConflictError, KnowledgeNotFoundError
from aftersales.selfservice.intents import get_intents
from aftersales.selfservice.knowledge_models import KnowledgeArticle, KnowledgeVersion
from aftersales.selfservice.models import BotFaqEntry, QuickReply
from aftersales.selfservice.schemas import QuickReplyIn

KINDS = {"policy": "政策", "answer": "答案"}
_WORD = re.compile(r"\w")


@cache
def _cut_for_search() -> Callable[[str], Iterable[str]]:
    """jieba, loaded (and quietened) once, on the first save or search, not when the console starts."""
    import jieba

    jieba.setLogLevel(60)
    return jieba.cut_for_search


def tokens(text: str) -> list[str]:
    """The distinct search tokens of a text: jieba's search-mode words, punctuation dropped."""
    seen: dict[str, None] = {}
    for word in _cut_for_search()(text.lower()):
        word = word.strip()
        if word and _WORD.search(word):
            seen.setdefault(word, None)
    return list(seen)


def search_text(title: str, body: str) -> str:
    """Tokens padded with spaces so ``LIKE '% token %'`` matches whole tokens only."""
    return " " + " ".join(tokens(f"{title} {body}")) + " "


@dataclass(frozen=True)
class Hit:
    article: KnowledgeArticle
    score: int


def _check(*, kind: str, title: str, body: str, intent: str | None) -> None:
    if kind not in KINDS:
        raise InvalidInputError("kind", "只能是政策或答案")
    if not title.strip() or len(title) > 120:
        raise InvalidInputError("title", "标题不能为空,且不超过 120 字")
    if not body.strip():
        raise InvalidInputError("body", "正文不能为空")
    if intent is not None and intent not in get_intents():
        raise InvalidInputError("intent", f"未知的问题类型: {intent}")


def get(session: Session, article_id: int) -> KnowledgeArticle:
    article = session.get(KnowledgeArticle, article_id)
    if article is None:
        raise KnowledgeNotFoundError()
    return article


def _write_version(
    session: Session, article: KnowledgeArticle, *, title: str, body: str, author_id: int | None, note: str
) -> KnowledgeArticle:
    """Make ``title``/``body`` the article's newest version and carry it to its quick reply."""
    article.title, article.body = title.strip(), body.strip()
    article.search_text = search_text(article.title, article.body)
    article.updated_by, article.updated_at = author_id, utcnow()
    session.add(
        KnowledgeVersion(
            article_id=article.id,
            version=article.version,
            title=article.title,
            body=article.body,
            note=note,
            author_id=author_id,
        )
    )
    _sync_quick_reply(session, article)
    session.flush()
    return article


def create(
    session: Session,
    *,
    shop_id: int | None,
    kind: str,
    title: str,
    body: str,
    author_id: int | None,
    intent: str | None = None,
) -> KnowledgeArticle:
    require_refs(session, {"shop_id": (Shop, shop_id)})
    _check(kind=kind, title=title, body=body, intent=intent)
    if intent is not None and answer_article(session, shop_id=shop_id, intent=intent) is not None:
        raise InvalidInputError("intent", "该店铺已有此问题类型的答案,请编辑原条目")
    article = KnowledgeArticle(shop_id=shop_id, kind=kind, intent=intent, title="", body="", version=1)
    session.add(article)
    session.flush()
    return _write_version(session, article, title=title, body=body, author_id=author_id, note="新建")


def edit(
    session: Session, *, article_id: int, title: str, body: str, author_id: int | None, base_version: int
) -> KnowledgeArticle:
    """Save a new version; ``base_version`` is the version the editor opened."""
    article = get(session, article_id)
    _check(kind=article.kind, title=title, body=body, intent=article.intent)
    if base_version != article.version:
        raise KnowledgeEditConflictError(article.version)
    article.version += 1
    return _write_version(session, article, title=title, body=body, author_id=author_id, note="编辑")


def restore(session: Session, *, article_id: int, version: int, author_id: int | None) -> KnowledgeArticle:
    """Write an older version again as the newest one (the history keeps both)."""
    article = get(session, article_id)
    old = session.scalar(
        select(KnowledgeVersion).where(
            KnowledgeVersion.article_id == article_id, KnowledgeVersion.version == version
        )
    )
    if old is None:
        raise InvalidInputError("version", f"没有第 {version} 版")
    article.version += 1
    note = f"恢复自第 {version} 版"
    return _write_version(session, article, title=old.title, body=old.body, author_id=author_id, note=note)


def history(session: Session, article_id: int) -> list[KnowledgeVersion]:
    get(session, article_id)
    return list(
        session.scalars(
            select(KnowledgeVersion)
            .where(KnowledgeVersion.article_id == article_id)
            .order_by(KnowledgeVersion.version.desc())
        )
    )


def _visible(shop_id: int | None) -> ColumnElement[bool]:
    """A shop sees its own articles and the defaults; no shop means every article."""
    if shop_id is None:
        return KnowledgeArticle.id.is_not(None)
    return or_(KnowledgeArticle.shop_id.is_(None), KnowledgeArticle.shop_id == shop_id)


def search(session: Session, *, query: str, shop_id: int | None = None, limit: int = 20) -> list[Hit]:
    """Articles containing any query token, most tokens first (title hits count double)."""
    wanted = tokens(query)
    if not wanted:
        return []
    matches = or_(*(KnowledgeArticle.search_text.contains(f" {t} ", autoescape=True) for t in wanted))
    rows = session.scalars(select(KnowledgeArticle).where(_visible(shop_id), matches))
    hits = []
    for article in rows:
        title = set(tokens(article.title))
        found = set(article.search_text.split())
        hits.append(Hit(article, sum((2 if t in title else 1) for t in wanted if t in found)))
    hits.sort(key=lambda h: (-h.score, -h.article.updated_at.timestamp(), h.article.id))
    return hits[:limit]


def articles(session: Session, *, shop_id: int | None = None) -> list[KnowledgeArticle]:
    query = select(KnowledgeArticle).where(_visible(shop_id))
    return list(session.scalars(query.order_by(KnowledgeArticle.kind, KnowledgeArticle.title)))


def answer_article(session: Session, *, shop_id: int | None, intent: str) -> KnowledgeArticle | None:
    """The shop's own answer article for an intent (``shop_id`` None: the default one)."""
    owner = KnowledgeArticle.shop_id.is_(None) if shop_id is None else KnowledgeArticle.shop_id == shop_id
    return session.scalar(
        select(KnowledgeArticle).where(owner, KnowledgeArticle.intent == intent).order_by(KnowledgeArticle.id)
    )


def answers(session: Session, *, shop_id: int | None) -> dict[tuple[int | None, str], str]:
    """Current answer texts by (shop id or None, intent), for the shop and the defaults."""
    query = select(KnowledgeArticle).where(_visible(shop_id), KnowledgeArticle.intent.is_not(None))
    return {(a.shop_id, a.intent): a.body for a in session.scalars(query) if a.intent is not None}


def record_answer(
    session: Session, *, shop_id: int | None, intent: str, answer: str, author_id: int | None
) -> KnowledgeArticle:
    """A FAQ answer saved elsewhere becomes the newest version of the intent's answer article."""
    article = answer_article(session, shop_id=shop_id, intent=intent)
    if article is None:
        label = get_intents()[intent].label
        return create(
            session,
            shop_id=shop_id,
            kind="answer",
            intent=intent,
            title=label,
            body=answer,
            author_id=author_id,
        )
    if article.body == answer.strip():
        return article
    return edit(
        session,
        article_id=article.id,
        title=article.title,
        body=answer,
        author_id=author_id,
        base_version=article.version,
    )


def drop_answer(session: Session, *, shop_id: int, intent: str) -> None:
    """The shop goes back to the default answer: its own answer article is removed."""
    article = answer_article(session, shop_id=shop_id, intent=intent)
    if article is not None:
        session.delete(article)
        session.flush()


def publish_as_quick_reply(session: Session, *, article_id: int, shortcut: str) -> QuickReply:
    """Make the article a quick reply that follows every later version of it."""
    article = get(session, article_id)
    if article.quick_reply_id is not None:
        return quickreplies.get(session, article.quick_reply_id)
    data = QuickReplyIn(
        shop_id=article.shop_id,
        scenario=article.intent or "general",
        shortcut=shortcut,
        title=article.title[:64],
        body=article.body,
        keywords=tokens(article.title)[:10],
    )
    reply = quickreplies.create(session, data=data)
    article.quick_reply_id = reply.id
    session.flush()
    return reply


def _sync_quick_reply(session: Session, article: KnowledgeArticle) -> None:
    if article.quick_reply_id is None:
        return
    quickreplies.update_text(
        session, reply_id=article.quick_reply_id, title=article.title[:64], body=article.body
    )


def seed_from_faq(session: Session) -> int:
    """An answer article for every FAQ entry (default and per shop) that has none; returns how many."""
    added = 0
    for entry in session.scalars(select(BotFaqEntry).order_by(BotFaqEntry.id)):
        known = entry.intent in get_intents()
        if known and answer_article(session, shop_id=entry.shop_id, intent=entry.intent) is None:
            record_answer(
                session,
                shop_id=entry.shop_id,
                intent=entry.intent,
                answer=entry.answer,
                author_id=entry.updated_by,
            )
            added += 1
    return added
