"""Console: the 跟单催付 page (unpaid orders to follow up, the follow-ups made and how many paid,
each shop's windows) and the 商品推荐 card on a chat with its 推荐商品 action."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from aftersales.auth.deps import CurrentUser, RequireAgent, RequireSupervisor, SessionDep
from aftersales.auth.models import Role, User
from aftersales.catalog import repository as catalog_repository
from aftersales.conversations import conversion, followups, recommendations, service
from aftersales.conversations.models import FollowUpMode
from aftersales.conversations.schemas import WindowsIn
from aftersales.kit.pagination import PageDep, count_rows, paginate_rows
from aftersales.kit.time import utcnow
from aftersales.web.home import EVERYONE, Tile, register_tile
from aftersales.web.panels import Panel, register_panel, render_panel
from aftersales.web.render import NavItem, render

router = APIRouter(include_in_schema=False)
Id = Annotated[int, Path(ge=1, le=2_147_483_647)]
BASE = "/console/follow-ups"
NAV = [NavItem("跟单催付", BASE, group="工单")]
RECOMMENDATIONS_PANEL = Panel("商品推荐", "/console/conversations/panels/chat/{session_id}")
register_panel("qc_session", RECOMMENDATIONS_PANEL)
DONE_LIMIT = 100


def _due_orders(session: Session, _user: User) -> int:
    return count_rows(session, followups.due(session, now=utcnow()))


register_tile(Tile("待跟单(待付款订单)", BASE, _due_orders, EVERYONE, "warn", 60))


@router.get(BASE, response_class=HTMLResponse)
def follow_ups_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    page: PageDep,
    shop_id: Annotated[int | None, Query(ge=1)] = None,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> Response:
    """待跟单 (oldest first), the follow-ups of the last ``days`` days and their conversion."""
    now = utcnow()
    since = now - timedelta(days=days)
    due, total = paginate_rows(session, followups.due(session, now=now, shop_id=shop_id), page)
    done = session.execute(followups.done(session, since=since, shop_id=shop_id).limit(DONE_LIMIT)).all()
    count, won, fen = followups.summary(session, since=since, shop_id=shop_id)
    windows = conversion.windows_by_shop(session)
    shops = catalog_repository.shops(session)
    return render(
        request,
        "conversations/follow_ups.html",
        due=due,
        total=total,
        page=page,
        done=done,
        figures=(count, won, fen),
        days=days,
        now=now,
        shop_id=shop_id,
        shops=shops,
        shop_names={shop.id: shop.name for shop in shops},
        windows=[(shop, windows.get(shop.id, conversion.DEFAULTS), shop.id not in windows) for shop in shops],
        labels=conversion.LABELS,
        definition=conversion.follow_up_definition(),
        supervisor=user.role.at_least(Role.SUPERVISOR),
    )


@router.post(BASE + "/{order_id}")
def follow_up(
    session: SessionDep,
    user: RequireAgent,
    order_id: Id,
    mode: Annotated[FollowUpMode, Form()],
    note: Annotated[str | None, Form(max_length=200)] = None,
) -> Response:
    followups.follow_up(session, order_id=order_id, agent_id=user.id, mode=mode, note=note)
    return RedirectResponse(BASE, status_code=303)


@router.post(BASE + "/settings/{shop_id}")
def save_windows(
    session: SessionDep,
    _: RequireSupervisor,
    shop_id: Id,
    recommendation_days: Annotated[int, Form(ge=1, le=30)],
    unpaid_after_minutes: Annotated[int, Form(ge=1, le=1440)],
    follow_up_hours: Annotated[int, Form(ge=1, le=168)],
) -> Response:
    values = WindowsIn(
        recommendation_days=recommendation_days,
        unpaid_after_minutes=unpaid_after_minutes,
        follow_up_hours=follow_up_hours,
    )
    conversion.save_windows(session, shop_id=shop_id, values=values)
    return RedirectResponse(BASE, status_code=303)


@router.get("/console/conversations/panels/chat/{session_id}", response_class=HTMLResponse)
def recommendations_panel(request: Request, session: SessionDep, _: CurrentUser, session_id: Id) -> Response:
    """The chat's recommendations, whether each was bought in the window, and 推荐商品."""
    chat = service.get_session(session, session_id)
    windows = conversion.windows_for(session, chat.shop_id)
    return render_panel(
        request,
        RECOMMENDATIONS_PANEL,
        "conversations/_recommendations_panel.html",
        chat=chat,
        found=recommendations.of_chat(session, chat.id),
        skus=catalog_repository.active_skus(session, [chat.shop_id]),
        definition=conversion.recommendation_definition(windows.recommendation_days),
    )


@router.post("/console/conversations/chats/{session_id}/recommendations")
def recommend(
    session: SessionDep,
    user: RequireAgent,
    session_id: Id,
    sku_code: Annotated[str, Form(min_length=1, max_length=64)],
) -> Response:
    chat = service.get_session(session, session_id)
    recommendations.recommend(session, chat=chat, sku_code=sku_code, agent_id=user.id)
    return RedirectResponse(f"/console/qc/sessions/{session_id}", status_code=303)
