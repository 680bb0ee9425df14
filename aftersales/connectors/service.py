"""Connector accounts: credentials in, encrypted; the endpoint each call goes to; the health record.

Each provider's ``ProviderSpec`` says which credential fields it needs and its published
production and sandbox endpoints; its module registers the 测试连接 call. Services only flush;
the request, job or CLI command commits.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.catalog.service import shop_by_code
from aftersales.config import get_settings
from aftersales.connectors import secrets
from aftersales.connectors.errors import ConnectorNotFoundError, ProviderError
from aftersales.connectors.models import GLOBAL_SCOPE, ConnectorAccount, Provider
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import utcnow

ERROR_TEXT_LIMIT = 500


@dataclass(frozen=True)
class ProviderSpec:
    name: str
    label: str
    credentials: tuple[str, ...]
    production_url: str
    sandbox_url: str | None = None
    settings: tuple[str, ...] = ()
    per_shop: bool = False  # a platform's authorisation belongs to one shop
    purpose: str = ""  # what the connection does, as the 连接 page and the CLI say it


SPECS: dict[str, ProviderSpec] = {
    spec.name: spec
    for spec in (
        ProviderSpec(
            name=Provider.KUAIDI100,
            label="快递100",
            purpose="物流轨迹订阅、推送与实时查询",
            credentials=("key", "customer", "salt"),
            production_url="https://poll.kuaidi100.com",
            settings=("callback_base",),
        ),
        ProviderSpec(
            name=Provider.ALIYUN_SMS,
            label="阿里云短信",
            purpose="短信发送与送达回执",
            credentials=("access_key_id", "access_key_secret"),
            production_url="https://dysmsapi.aliyuncs.com",
            settings=("sign_name", "templates", "rate_limit", "callback_base"),
        ),
        ProviderSpec(
            name=Provider.TAOBAO,
            label="淘宝/天猫",
            purpose="订单、退款与评价增量同步,消息服务(TMC),评价解释",
            credentials=("app_key", "app_secret", "session"),
            production_url="https://gw.api.taobao.com/router/rest",
            sandbox_url="https://gw.api.tbsandbox.com/router/rest",
            settings=("sign_method", "tmc_group", "seller_nick", "tmc_endpoint"),
            per_shop=True,
        ),
        ProviderSpec(
            name=Provider.DOUYIN,
            label="抖店",
            purpose="订单与售后增量同步,消息推送",
            credentials=("app_key", "app_secret", "access_token"),
            production_url="https://openapi-fxg.jinritemai.com",
            settings=("sign_method", "callback_base"),
            per_shop=True,
        ),
        ProviderSpec(
            name=Provider.PDD,
            label="拼多多",
            purpose="订单与售后增量同步",
            credentials=("client_id", "client_secret", "access_token"),
            production_url="https://gw-api.pinduoduo.com/api/router",
            per_shop=True,
        ),
        ProviderSpec(
            name=Provider.JUSHUITAN,
            label="聚水潭 ERP",
            purpose="补发单推送与回传运单号",
            credentials=("app_key", "app_secret", "access_token"),
            production_url="https://openapi.jushuitan.com",
            sandbox_url="https://dev-api.jushuitan.com",
            settings=("shop_id",),
        ),
        ProviderSpec(
            name=Provider.SF_EXPRESS,
            label="顺丰丰桥",
            purpose="快件拦截退回与上门取件",
            credentials=("partner_id", "checkword"),
            production_url="https://sfapi.sf-express.com/std/service",
            sandbox_url="https://sfapi-sbox.sf-express.com/std/service",
            settings=("monthly_card", "return_contact", "return_phone", "return_address"),
        ),
        ProviderSpec(
            name=Provider.WANGDIANTONG,
            label="旺店通 ERP",
            purpose="补发单推送与回传运单号",
            credentials=("sid", "appkey", "appsecret"),
            production_url="https://openapi.huice.com/openapi",
            sandbox_url="https://openapi.ali.huice.cc/openapi",
            settings=("shop_no",),
        ),
        ProviderSpec(
            name=Provider.ZTO,
            label="中通快递",
            purpose="快件拦截退回",
            credentials=("app_key", "app_secret"),
            production_url="https://japi.zto.com",
            sandbox_url="https://japi-test.zto.com",
            settings=("return_contact", "return_phone", "return_address"),
        ),
    )
}

# 测试连接 per provider: one real call with the stored credentials, registered by the provider's
# module (which imports this one, so it cannot be named here).
Check = Callable[[Session, ConnectorAccount], str]
_checks: dict[str, Check] = {}


def register_check(provider: str, check: Check) -> None:
    _checks[provider] = check


def provider_spec(name: str) -> ProviderSpec:
    try:
        return SPECS[name]
    except KeyError:
        known = "、".join(sorted(SPECS))
        raise InvalidInputError("provider", f"未知服务商 {name},可选: {known}") from None


def providers() -> list[ProviderSpec]:
    return sorted(SPECS.values(), key=lambda spec: spec.name)


def save_account(
    session: Session,
    *,
    provider: str,
    shop_code: str | None,
    credentials: dict[str, str],
    settings: dict[str, Any] | None = None,
    sandbox: bool = False,
) -> ConnectorAccount:
    """Create or replace one account; every credential field the provider needs must be given."""
    spec = provider_spec(provider)
    missing = [name for name in spec.credentials if not credentials.get(name)]
    if missing:
        raise InvalidInputError("credentials", f"缺少凭证字段: {', '.join(missing)}")
    unknown = sorted(set(settings or {}) - set(spec.settings) - {"endpoint"})
    if unknown:
        raise InvalidInputError("settings", f"未知设置项: {', '.join(unknown)}")
    if spec.per_shop and not shop_code:
        raise InvalidInputError("shop", f"{spec.label} 连接必须选择店铺(授权属于单个店铺)")
    shop = shop_by_code(session, shop_code) if shop_code else None
    scope = str(shop.id) if shop else GLOBAL_SCOPE
    account = session.scalar(
        select(ConnectorAccount).where(ConnectorAccount.provider == provider, ConnectorAccount.scope == scope)
    )
    if account is None:
        account = ConnectorAccount(provider=provider, scope=scope, shop_id=shop.id if shop else None)
        session.add(account)
    kept = {name: credentials[name] for name in spec.credentials}
    account.secret_blob = secrets.encrypt(kept)
    account.secret_hint = ", ".join(f"{name} {secrets.mask(value)}" for name, value in kept.items())
    account.settings = dict(settings or {})
    account.sandbox = sandbox
    account.enabled = True
    session.flush()
    return account


def account_for(session: Session, *, provider: str, shop_id: int | None) -> ConnectorAccount | None:
    """The shop's own enabled account, else the one for all shops."""
    scopes = [str(shop_id), GLOBAL_SCOPE] if shop_id is not None else [GLOBAL_SCOPE]
    rows = session.scalars(
        select(ConnectorAccount).where(
            ConnectorAccount.provider == provider,
            ConnectorAccount.scope.in_(scopes),
            ConnectorAccount.enabled.is_(True),
        )
    )
    found = {row.scope: row for row in rows}
    return next((found[scope] for scope in scopes if scope in found), None)


def any_account(session: Session, *, provider: str) -> bool:
    query = select(ConnectorAccount.id).where(
        ConnectorAccount.provider == provider, ConnectorAccount.enabled.is_(True)
    )
    return session.scalar(query.limit(1)) is not None


def find_account(session: Session, *, provider: str, shop_code: str | None) -> ConnectorAccount:
    shop: Shop | None = shop_by_code(session, shop_code) if shop_code else None
    scope = str(shop.id) if shop else GLOBAL_SCOPE
    account = session.scalar(
        select(ConnectorAccount).where(ConnectorAccount.provider == provider, ConnectorAccount.scope == scope)
    )
    if account is None:
        raise ConnectorNotFoundError(provider, shop_code)
    return account


def list_accounts(session: Session) -> list[ConnectorAccount]:
    return list(
        session.scalars(select(ConnectorAccount).order_by(ConnectorAccount.provider, ConnectorAccount.id))
    )


def credentials(account: ConnectorAccount) -> dict[str, str]:
    return secrets.decrypt(account.secret_blob)


def endpoint(account: ConnectorAccount) -> str:
    """An explicit ``endpoint`` setting (a proxy, a local test server) wins; then the published
    sandbox when the account is in sandbox mode; then production."""
    spec = provider_spec(account.provider)
    override = account.settings.get("endpoint")
    if override:
        return str(override).rstrip("/")
    if account.sandbox:
        if spec.sandbox_url is None:
            raise ProviderError(f"{spec.label} 没有公开的沙箱环境,请设置 endpoint 为测试地址", retry=False)
        return spec.sandbox_url
    return spec.production_url


def record_success(account: ConnectorAccount) -> None:
    account.success_count += 1
    account.last_success_at = utcnow()


def record_failure(account: ConnectorAccount, error: str) -> None:
    account.error_count += 1
    account.last_error_at = utcnow()
    account.last_error = error[:ERROR_TEXT_LIMIT]


def test_connection(session: Session, *, account: ConnectorAccount) -> str:
    """测试连接: one real call with the stored credentials; the health record keeps the result."""
    check = _checks[account.provider]
    try:
        result = check(session, account)
    except ProviderError as exc:
        record_failure(account, exc.message)
        raise
    record_success(account)
    return result


@cache
def _client() -> httpx.Client:
    """One client per process: building one loads the CA bundle (~0.1-0.7 s), which a batch of
    200 subscriptions paid 200 times; the shared one also keeps connections alive."""
    return httpx.Client()


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One HTTP call to a provider: a transport failure, HTTP 429 or 5xx is a retryable
    ``ProviderError``; other statuses are returned for the protocol module to read."""
    try:
        response = _client().request(method, url, timeout=get_settings().webhook_timeout_seconds, **kwargs)
    except httpx.HTTPError as exc:
        raise ProviderError(f"无法连接服务商: {type(exc).__name__}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise ProviderError(f"服务商繁忙: HTTP {response.status_code}", code=str(response.status_code))
    return response
