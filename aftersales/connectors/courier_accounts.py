"""What the real courier adapters (顺丰丰桥, 中通) share: the shop's account found from the courier
context (no account: the simulated courier answers), the shop's return address setting, a
provider call with the health record kept and its failure sorted into "try later" or "refused",
and ``AccountCourier``, the adapter steps that differ only in the provider's call."""

from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

from aftersales.connectors import service
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount
from aftersales.logistics.couriers import (
    CourierContext,
    CourierUnavailableError,
    InterceptReply,
    PickupReply,
    simulated_courier,
)
from aftersales.orders.models import TrackingStatus

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


class Answer(Protocol):
    """What a provider's answer to an interception tells, whatever its shape."""

    @property
    def success(self) -> bool: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...


class AccountCourier(ABC):
    """A courier adapter reached with the shop's own account: without one (or without a context)
    the simulated courier answers every step; with one, the interception is the provider's call
    (``send_intercept``/``accepted``), and tracking settles it (neither 丰桥 nor 中通 publishes a
    progress query we use), and pickups stay simulated unless the adapter books them itself."""

    provider: str
    label: str  # the courier's name in the answers agents read
    books_pickups = False  # whether the provider's own pickup booking (``send_pickup``) is used

    @abstractmethod
    def send_intercept(self, account: ConnectorAccount, tracking_no: str, context: CourierContext) -> Answer:
        """The provider's interception call for this parcel."""

    @abstractmethod
    def accepted(self, answer: Answer, tracking_no: str) -> InterceptReply:
        """The reply to the agent once the provider took the interception."""

    def request_intercept(
        self,
        *,
        courier: str,
        tracking_no: str,
        parcel_status: TrackingStatus | None,
        now: datetime,
        context: CourierContext | None = None,
    ) -> InterceptReply:
        account = account_for(context, self.provider)
        if account is None or context is None:
            return simulated_courier().request_intercept(
                courier=courier,
                tracking_no=tracking_no,
                parcel_status=parcel_status,
                now=now,
                context=context,
            )
        answer = guarded(account, lambda: self.send_intercept(account, tracking_no, context))
        if answer is None:
            detail = f"{self.label}接口拒绝了本店的凭证或权限,请人工拦截: {account.last_error}"
            return InterceptReply("rejected", None, detail)
        if not answer.success:
            return InterceptReply(
                "rejected", None, f"{self.label}未受理拦截: {answer.message or answer.code}"
            )
        return self.accepted(answer, tracking_no)

    def intercept_status(
        self,
        *,
        courier: str,
        tracking_no: str,
        courier_ref: str,
        accepted_at: datetime,
        now: datetime,
        context: CourierContext | None = None,
    ) -> InterceptReply:
        if account_for(context, self.provider) is not None:
            return InterceptReply("pending", courier_ref)
        return simulated_courier().intercept_status(
            courier=courier,
            tracking_no=tracking_no,
            courier_ref=courier_ref,
            accepted_at=accepted_at,
            now=now,
            context=context,
        )

    def book_pickup(
        self,
        *,
        courier: str,
        address: str,
        slot_start: datetime,
        slot_end: datetime,
        now: datetime,
        context: CourierContext | None = None,
    ) -> PickupReply:
        account = account_for(context, self.provider) if self.books_pickups else None
        if account is not None and context is not None:
            return self.send_pickup(account, context, address, slot_start)
        return simulated_courier().book_pickup(
            courier=courier,
            address=address,
            slot_start=slot_start,
            slot_end=slot_end,
            now=now,
            context=context,
        )

    def send_pickup(
        self, account: ConnectorAccount, context: CourierContext, address: str, slot_start: datetime
    ) -> PickupReply:
        """The provider's pickup booking, for adapters with ``books_pickups``."""
        raise NotImplementedError
