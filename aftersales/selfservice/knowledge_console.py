"""知识库 pages: agents search policies and answers; supervisors write, edit, see the history,
restore an older version and publish an article as a quick reply. 明星话术: supervisors review the
best-rated agent replies per scene and accept one as a quick reply."""

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aftersales.auth import repository as auth_repository
from aftersales.auth.deps import CurrentUser, RequireSupervisor, SessionDep
from aftersales.auth.models import Role
from aftersales.catalog import repository as catalog_repository
from aftersales.kit.time import local_day_bounds, to_local, utcnow
from aftersales.selfservice import knowledge, star_replies
from aftersales.selfservice.intents import get_intents
from aftersales.selfservice.knowledge_models import KnowledgeArticle
from aftersales.web.render import NavItem, render

router = APIRouter(prefix="/console/selfservice/knowledge", include_in_schema=False)
stars = APIRouter(prefix="/console/selfservice/star-replies", include_in_schema=False)

NAV = [
    NavItem("知识库", "/console/selfservice/knowledge", Role.AGENT, group="工单"),
    NavItem("明星话术", "/console/selfservice/star-replies", Role.SUPERVISOR, group="质检"),
]


def _shop_id(raw: str | None) -> int | None:
    return int(raw) if raw and raw.strip().isdigit() else None


@router.get("", response_class=HTMLResponse)
def knowledge_page(
    request: Request, session: SessionDep, user: CurrentUser, q: str | None = None, shop_id: str | None = None
) -> Response:
    """Search results for ``q`` (title and body), else every article the shop sees."""
    shop = _shop_id(shop_id)
    query = (q or "").strip()
    rows: list[tuple[KnowledgeArticle, int | None]]
    if query:
        rows = [(hit.article, hit.score) for hit in knowledge.search(session, query=query, shop_id=shop)]
    else:
        rows = [(article, None) for article in knowledge.articles(session, shop_id=shop)]
    return render(
        request,
        "selfservice/knowledge.html",
        rows=rows,
        q=query,
        shop_id=shop,
        shops=catalog_repository.shop_names(session),
        kinds=knowledge.KINDS,
        intents={code: intent.label for code, intent in get_intents().items()},
        can_edit=user.role.at_least(Role.SUPERVISOR),
    )


@router.post("")
def create_article(
    session: SessionDep,
    user: RequireSupervisor,
    kind: Annotated[str, Form()],
    title: Annotated[str, Form(max_length=120)],
    body: Annotated[str, Form(max_length=5000)],
    shop_id: Annotated[str | None, Form()] = None,
) -> Response:
    article = knowledge.create(
        session, shop_id=_shop_id(shop_id), kind=kind, title=title, body=body, author_id=user.id
    )
    return RedirectResponse(f"/console/selfservice/knowledge/{article.id}", status_code=303)


@router.get("/{article_id}", response_class=HTMLResponse)
def article_page(request: Request, session: SessionDep, user: CurrentUser, article_id: int) -> Response:
    """The current text; for supervisors also the edit form, every version and 恢复."""
    article = knowledge.get(session, article_id)
    versions = knowledge.history(session, article_id)
    return render(
        request,
        "selfservice/knowledge_article.html",
        article=article,
        versions=versions,
        authors=auth_repository.display_names(session, {v.author_id for v in versions}),
        shops=catalog_repository.shop_names(session),
        kinds=knowledge.KINDS,
        intents={code: intent.label for code, intent in get_intents().items()},
        can_edit=user.role.at_least(Role.SUPERVISOR),
    )


@router.post("/{article_id}/edit")
def edit_article(
    session: SessionDep,
    user: RequireSupervisor,
    article_id: int,
    title: Annotated[str, Form(max_length=120)],
    body: Annotated[str, Form(max_length=5000)],
    base_version: Annotated[int, Form()],
) -> Response:
    knowledge.edit(
        session, article_id=article_id, title=title, body=body, author_id=user.id, base_version=base_version
    )
    return RedirectResponse(f"/console/selfservice/knowledge/{article_id}", status_code=303)


@router.post("/{article_id}/restore")
def restore_article(
    session: SessionDep, user: RequireSupervisor, article_id: int, version: Annotated[int, Form()]
) -> Response:
    knowledge.restore(session, article_id=article_id, version=version, author_id=user.id)
    return RedirectResponse(f"/console/selfservice/knowledge/{article_id}", status_code=303)


@router.post("/{article_id}/publish")
def publish_article(
    session: SessionDep,
    user: RequireSupervisor,
    article_id: int,
    shortcut: Annotated[str, Form(pattern=r"^[a-z0-9_]{1,32}$")],
) -> Response:
    knowledge.publish_as_quick_reply(session, article_id=article_id, shortcut=shortcut)
    return RedirectResponse(f"/console/selfservice/knowledge/{article_id}", status_code=303)


@stars.get("", response_class=HTMLResponse)
def star_replies_page(
    request: Request,
    session: SessionDep,
    _: RequireSupervisor,
    since: date | None = None,
    until: date | None = None,
) -> Response:
    """The best-rated replies per scene over the Shanghai days ``since``..``until`` (default: 30 days)."""
    today = (to_local(utcnow()) or utcnow()).date()
    first, last = since or today - timedelta(days=29), until or today
    found = star_replies.proposals(session, since=local_day_bounds(first)[0], until=local_day_bounds(last)[1])
    return render(request, "selfservice/star_replies.html", proposals=found, since=first, until=last)


@stars.post("")
def accept_star_reply(
    session: SessionDep,
    _: RequireSupervisor,
    message_id: Annotated[int, Form()],
    scene: Annotated[str, Form()],
    shortcut: Annotated[str, Form(pattern=r"^[a-z0-9_]{1,32}$")],
) -> Response:
    reply = star_replies.accept(session, message_id=message_id, scene=scene, shortcut=shortcut)
    return RedirectResponse(f"/console/selfservice/quick-replies?q=/{reply.shortcut}", status_code=303)
