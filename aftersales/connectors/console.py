"""The 连接 page (admins): each shop's provider accounts with their health, adding credentials,
测试连接, and the callback addresses to register at each provider."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from aftersales.auth.deps import RequireAdmin, SessionDep
from aftersales.auth.models import Role
from aftersales.catalog import repository as catalog_repository
from aftersales.connectors import douyin_push, platform_sync, registered, repository, service, sms, tracking  # noqa: F401
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.kit.errors import AftersalesError, InvalidInputError
from aftersales.web.forms import act_or_rerender
from aftersales.web.render import NavItem, render

router = APIRouter(prefix="/console/connectors", include_in_schema=False)

NAV = [NavItem("连接", "/console/connectors", min_role=Role.ADMIN)]
SUBSCRIPTION_LABELS = {
    "subscribed": "跟踪中",
    "retry": "待重试",
    "failed": "改用实时查询",
    "finished": "已签收",
}
RECEIPT_LABELS = {True: "已送达", False: "未送达", None: "等待回执"}
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _callbacks(account: ConnectorAccount) -> list[tuple[str, str]]:
    """The addresses an admin registers at the provider (none shown until they can be built)."""
    try:
        if account.provider == Provider.KUAIDI100:
            return [("订阅推送 callbackurl", tracking.callback_url(account))]
    except InvalidInputError:
        return []
    if account.provider == Provider.DOUYIN:
        url = douyin_push.push_url(account)
        return [("消息推送地址", url)] if url else []
    url = sms.receipt_url(account) if account.provider == Provider.ALIYUN_SMS else None
    return [("短信回执 HTTP 推送地址", url)] if url else []


def _page(request: Request, session: Session, *, status_code: int = 200, **extra: Any) -> Response:
    shops = catalog_repository.shops_by_id(session)
    accounts = service.list_accounts(session)
    subscriptions = repository.subscription_counts(session)
    receipts = repository.receipt_counts(session)
    return render(
        request,
        "connectors/accounts.html",
        status_code=status_code,
        accounts=[
            (account, service.provider_spec(account.provider), _callbacks(account)) for account in accounts
        ],
        platforms={spec.name for spec in service.providers() if platform_sync.is_platform(spec.name)},
        shops=shops,
        specs=service.providers(),
        subscriptions={SUBSCRIPTION_LABELS.get(k, k): v for k, v in subscriptions.items()},
        receipts={RECEIPT_LABELS[k]: v for k, v in receipts.items()},
        **extra,
    )


@router.get("", response_class=HTMLResponse)
def accounts(request: Request, session: SessionDep, _: RequireAdmin) -> Response:
    return _page(request, session)


@router.post("/{provider}")
async def save(request: Request, session: SessionDep, _: RequireAdmin, provider: str) -> Response:
    """One provider's form: ``cred_<field>`` (password inputs, never shown again), ``setting_<field>``."""
    form = await request.form()
    fields = {key: value.strip() for key, value in form.items() if isinstance(value, str)}
    credentials = {
        key.removeprefix("cred_"): value for key, value in fields.items() if key.startswith("cred_")
    }
    settings = {
        key.removeprefix("setting_"): v for key, v in fields.items() if key.startswith("setting_") and v
    }
    return act_or_rerender(
        session,
        lambda: service.save_account(
            session,
            provider=provider,
            shop_code=fields.get("shop") or None,
            credentials=credentials,
            settings=settings,
            sandbox=fields.get("sandbox") == "on",
        ),
        failed=AftersalesError,
        rerender=lambda exc: _page(request, session, status_code=422, error=exc.message),
        done=lambda _: RedirectResponse("/console/connectors", status_code=303),
    )


@router.post("/accounts/{account_id}/backfill", response_class=HTMLResponse)
async def backfill(request: Request, session: SessionDep, _: RequireAdmin, account_id: Id) -> Response:
    """补拉 N 天: the platform sync's cursors move back; the sync job reads from there."""
    form = await request.form()
    account = session.get(ConnectorAccount, account_id)
    if account is None or not platform_sync.is_platform(account.provider):
        return _page(request, session, status_code=404, error="只有平台连接可以补拉")
    days = str(form.get("days") or "")
    try:
        platform_sync.backfill(session, account=account, days=int(days) if days.isdigit() else 0)
    except InvalidInputError as exc:
        return _page(request, session, status_code=422, error=exc.message)
    return _page(request, session, notice=f"已安排补拉最近 {days} 天的订单与退款,几分钟内完成")


@router.post("/accounts/{account_id}/test", response_class=HTMLResponse)
def check_account(request: Request, session: SessionDep, _: RequireAdmin, account_id: Id) -> Response:
    """测试连接: the result, good or bad, is shown and kept in the account's health record."""
    account = session.get(ConnectorAccount, account_id)
    if account is None:
        return _page(request, session, status_code=404, error="连接不存在")
    label = service.provider_spec(account.provider).label
    try:
        result = service.test_connection(session, account=account)
    except (ProviderError, InvalidInputError) as exc:
        return _page(request, session, error=f"{label} 测试连接失败: {exc.message}")
    return _page(request, session, notice=f"{label}: {result}")
