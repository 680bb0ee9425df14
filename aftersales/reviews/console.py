"""Console pages: review inbox, reply editor with the supervisor's approval, rating funnel dashboard."""

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.auth.models import Role
from aftersales.catalog import repository as catalog_repository
from aftersales.catalog.models import Shop, Sku
from aftersales.kit.pagination import PageDep, paginate
from aftersales.kit.time import utcnow
from aftersales.reviews import ratings, repository, service
from aftersales.reviews import voc as voc_joined
from aftersales.reviews.console_import import router as import_router
from aftersales.reviews.models import TRIAGE_LABELS, RecoveryStatus, Triage
from aftersales.reviews.schemas import ReviewRead
from aftersales.web.export import export_objects, xlsx_response
from aftersales.web.render import NavItem, render
from aftersales.web.sorting import sorted_by

router = APIRouter(prefix="/console/reviews", include_in_schema=False)
router.include_router(import_router)  # before "/{review_id}", which would shadow "/import"

NAV = [
    NavItem("评价", "/console/reviews", group="评价"),
    NavItem("邀评漏斗", "/console/reviews/funnel", Role.SUPERVISOR, group="评价"),
    NavItem("导入评价", "/console/reviews/import", Role.SUPERVISOR, group="设置"),
]


@router.get("", response_class=HTMLResponse)
def inbox(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    shop_id: int | None = None,
    stars: int | None = None,
    triage: Triage | None = None,
    mismatch: bool | None = None,
    sku_id: int | None = None,
    replied: bool | None = None,
    q: str | None = None,
    sort: Annotated[str | None, Query(max_length=32)] = None,
    export: Literal["xlsx"] | None = None,
) -> Response:
    statement = repository.inbox(
        shop_id=shop_id,
        stars=stars,
        triage=triage,
        mismatch=mismatch,
        sku_id=sku_id,
        replied=replied,
        order_no=q,
    )
    statement = sorted_by(statement, repository.SORTS, sort)
    shops = catalog_repository.shops_by_id(session)
    if export:
        found = [
            ReviewRead.for_reader(r, reveal=user.may_see_pii) for r in export_objects(session, statement)
        ]
        return xlsx_response(
            "评价",
            [
                "评价时间",
                "店铺",
                "订单号",
                "商品",
                "星级",
                "分拣",
                "五星差评",
                "内容",
                "买家",
                "工单",
                "回复",
            ],
            (
                [
                    r.reviewed_at,
                    shops[r.shop_id].name,
                    r.order_no,
                    r.sku_code,
                    r.stars,
                    r.triage_label,
                    "是" if r.is_mismatch else "否",
                    r.text,
                    r.buyer,
                    r.ticket_id,
                    r.reply_status.label,
                ]
                for r in found
            ),
        )
    rows, total = paginate(session, statement, page)
    pros = service.professional_keys(session, rows)
    template = "reviews/_rows.html" if request.headers.get("HX-Request") else "reviews/inbox.html"
    return render(
        request,
        template,
        reviews=[
            ReviewRead.for_reader(r, reveal=user.may_see_pii, professional=(str(r.platform), r.buyer) in pros)
            for r in rows
        ],
        total=total,
        page=page,
        filters={
            "shop_id": shop_id,
            "stars": stars,
            "triage": triage,
            "mismatch": mismatch,
            "sku_id": sku_id,
            "replied": replied,
            "q": q or "",
        },
        shops=shops,
        skus=catalog_repository.skus(session),
        triages=TRIAGE_LABELS,
        sorts=repository.SORTS,
        sort=sort,
    )


@router.get("/funnel", response_class=HTMLResponse)
def funnel(
    request: Request,
    session: SessionDep,
    _: RequireSupervisor,
    by: Literal["shop", "group", "agent"] = "shop",
    days: int = 30,
) -> Response:
    since = utcnow() - timedelta(days=max(1, min(days, 365)))
    return render(
        request,
        "reviews/funnel.html",
        rows=ratings.funnel(session, by=by, since=since),
        by=by,
        days=days,
        recoveries=ratings.open_recoveries(session, status=RecoveryStatus.OPEN),
        shops=catalog_repository.shop_names(session),
    )


@router.post("/recoveries/{recovery_id}", response_class=HTMLResponse)
def close_recovery(
    session: SessionDep,
    user: RequireAgent,
    recovery_id: int,
    solution: Annotated[str, Form(min_length=2, max_length=2000)],
    recovered: Annotated[bool, Form()] = False,
) -> Response:
    ratings.close_recovery(
        session, recovery_id=recovery_id, solution=solution, recovered=recovered, actor=user
    )
    return RedirectResponse("/console/reviews/funnel", status_code=303)


@router.get("/voc", response_class=HTMLResponse)
def voc(
    request: Request, session: SessionDep, _: CurrentUser, sku_id: int | None = None, days: int = 30
) -> Response:
    since = utcnow() - timedelta(days=max(1, min(days, 365)))
    return render(
        request,
        "reviews/voc.html",
        rows=voc_joined.board(session, sku_id=sku_id, since=since),
        days=days,
        sku_id=sku_id,
        skus=catalog_repository.skus(session),
    )


@router.get("/{review_id}", response_class=HTMLResponse)
def detail(request: Request, session: SessionDep, user: CurrentUser, review_id: int) -> Response:
    review = service.get_review(session, review_id)
    read = ReviewRead.for_reader(
        review,
        reveal=user.may_see_pii,
        reply=service.get_reply(session, review_id),
        professional=service.is_professional(session, review),
    )
    may_post = not review.needs_approval or user.role.at_least(Role.SUPERVISOR)
    sku = session.get(Sku, review.sku_id) if review.sku_id else None
    return render(
        request,
        "reviews/detail.html",
        review=read,
        shop=session.get(Shop, review.shop_id),
        sku=sku,
        may_post=may_post,
    )


@router.post("/{review_id}/reply", response_class=HTMLResponse)
def save_reply(
    session: SessionDep,
    user: RequireAgent,
    review_id: int,
    text: Annotated[str, Form(min_length=5, max_length=500)],
    action: Annotated[Literal["save", "post"], Form()] = "save",
) -> Response:
    """Save the edited text; ``post`` also posts it (the service refuses agents on negative reviews)."""
    service.edit_reply(session, review_id=review_id, text=text, actor=user)
    if action == "post":
        service.post_reply(session, review_id=review_id, actor=user)
    return RedirectResponse(f"/console/reviews/{review_id}", status_code=303)


@router.post("/{review_id}/redraft", response_class=HTMLResponse)
def redraft(session: SessionDep, _: RequireAgent, review_id: int) -> Response:
    service.redraft(session, review_id=review_id)
    return RedirectResponse(f"/console/reviews/{review_id}", status_code=303)
