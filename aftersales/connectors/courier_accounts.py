"""What the real courier adapters (顺丰丰桥, 中通) share: the shop's account found from the courier
context (no account: the simulated courier answers), the shop's return address setting, and a
provider call with the health record kept and its failure sorted into "try later" or "refused"."""

from collections.abc import Callable
from typing import TypeVar

from aftersales.connectors import service
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount
from aftersales.logistics.couriers import CourierContext, CourierUnavailableError

T = TypeVar("T")


def account_for(context: CourierContext | None, provider: str) -> ConnectorAccount | None:
    if context is None:
        return None
    return service.account_for(context.session, provider=provider, shop_id=context.shop_id)


def return_address(account: ConnectorAccount) -> dict[str, str]:
    """``return_address`` is ``省,市,区,详细地址``, where intercepted parcels and pickups go."""
    parts = [part.strip() for part in str(account.settings.get("return_address") or "").split(",")]
    if len(parts) != 4 or not all(parts):
        label = service.provider_spec(account.provider).label
        raise ProviderError(f"{label}连接需要设置 return_address(省,市,区,详细地址)", retry=False)
    province, city, county, address = parts
    return {
        "province": province,
        "city": city,
        "county": county,
        "address": address,
        "contact": str(account.settings.get("return_contact") or ""),
        "phone": str(account.settings.get("return_phone") or ""),
    }


def guarded(account: ConnectorAccount, send: Callable[[], T]) -> T | None:
    """The call, with the health record kept: a passing failure asks the job to try again later;
    a refusal no retry fixes (signature, permission, settings) is recorded and answered as None."""
    try:
        result = send()
    except ProviderError as exc:
        service.record_failure(account, exc.message)
        if exc.retry:
            raise CourierUnavailableError(exc.message) from exc
        return None
    service.record_success(account)
    return result
