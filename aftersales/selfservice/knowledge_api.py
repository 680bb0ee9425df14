"""Staff API of the knowledge base: agents search and read; supervisors write, edit and restore."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from aftersales.auth.deps import RequireAgent, RequireSupervisor, SessionDep
from aftersales.kit.types import MAX_ROW_ID, RowId
from aftersales.selfservice import knowledge
from aftersales.selfservice.schemas import (
    KnowledgeArticleIn,
    KnowledgeArticleRead,
    KnowledgeEdit,
    KnowledgeRestore,
    KnowledgeVersionRead,
)

router = APIRouter(prefix="/knowledge")
ArticleId = Annotated[int, Path(gt=0, le=MAX_ROW_ID)]


@router.get("", response_model=list[KnowledgeArticleRead])
def search_knowledge(
    session: SessionDep,
    _: RequireAgent,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    shop_id: Annotated[RowId | None, Query()] = None,
) -> list[KnowledgeArticleRead]:
    """Articles matching ``q`` in title or body, best match first (the shop's and the shared ones)."""
    hits = knowledge.search(session, query=q, shop_id=shop_id)
    return [KnowledgeArticleRead.model_validate(hit.article) for hit in hits]


@router.post("", response_model=KnowledgeArticleRead, status_code=201)
def create_article(
    session: SessionDep, user: RequireSupervisor, body: KnowledgeArticleIn
) -> KnowledgeArticleRead:
    article = knowledge.create(
        session, shop_id=body.shop_id, kind=body.kind, title=body.title, body=body.body, author_id=user.id
    )
    return KnowledgeArticleRead.model_validate(article)


@router.put("/{article_id}", response_model=KnowledgeArticleRead)
def edit_article(
    session: SessionDep, user: RequireSupervisor, article_id: ArticleId, body: KnowledgeEdit
) -> KnowledgeArticleRead:
    """A new version; 409 when someone saved after ``base_version``."""
    article = knowledge.edit(
        session,
        article_id=article_id,
        title=body.title,
        body=body.body,
        author_id=user.id,
        base_version=body.base_version,
    )
    return KnowledgeArticleRead.model_validate(article)


@router.get("/{article_id}/versions", response_model=list[KnowledgeVersionRead])
def article_versions(
    session: SessionDep, _: RequireAgent, article_id: ArticleId
) -> list[KnowledgeVersionRead]:
    return [KnowledgeVersionRead.model_validate(v) for v in knowledge.history(session, article_id)]


@router.post("/{article_id}/restore", response_model=KnowledgeArticleRead)
def restore_article(
    session: SessionDep, user: RequireSupervisor, article_id: ArticleId, body: KnowledgeRestore
) -> KnowledgeArticleRead:
    article = knowledge.restore(session, article_id=article_id, version=body.version, author_id=user.id)
    return KnowledgeArticleRead.model_validate(article)
