"""Courier adapters (interception and return pickup booking): one interface, a simulated courier,
and a registry by courier code.

Real couriers (顺丰, 中通, 圆通, 韵达, 京东物流, EMS) expose an intercept (拦截/改退) API; each plugs
in with ``register_courier("sf", adapter)`` (``connectors.sf_express`` does so for 顺丰). A real
courier's API needs the shop's account and the people involved, which ``CourierContext`` carries;
an adapter without an account for the shop hands the call to ``simulated_courier()``. Until one
is registered, a courier code uses the ``SimulatedCourier``, which answers like couriers do in
practice: most parcels still in the trunk network can be stopped, a parcel already out for
delivery mostly cannot, and a small share of accepted intercepts are delivered anyway. Its
answers depend only on the seed and the tracking number, so tests and the demo are reproducible.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from aftersales.orders.models import TrackingStatus


class CourierUnavailableError(Exception):
    """The courier's API could not be reached; the job retries later."""


@dataclass(frozen=True)
class InterceptReply:
    """``outcome``: accepted / rejected on request; pending / returned / failed when polled."""

    outcome: str
    courier_ref: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class PickupReply:
    """``outcome``: booked (with the courier's pickup code and the return waybill) or refused."""

    outcome: str
    pickup_code: str | None = None
    tracking_no: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class CourierContext:
    """Who asks and about whom: the shop (whose courier account pays), our reference for the
    request, and the contact the courier calls (the buyer for a pickup, the receiver otherwise)."""

    session: Session
    shop_id: int
    reference: str
    name: str | None = None
    phone: str | None = None


class CourierAdapter(Protocol):
    def book_pickup(
        self,
        *,
        courier: str,
        address: str,
        slot_start: datetime,
        slot_end: datetime,
        now: datetime,
        context: CourierContext | None = None,
    ) -> PickupReply: ...

    def request_intercept(
        self,
        *,
        courier: str,
        tracking_no: str,
        parcel_status: TrackingStatus | None,
        now: datetime,
        context: CourierContext | None = None,
    ) -> InterceptReply: ...

    def intercept_status(
        self,
        *,
        courier: str,
        tracking_no: str,
        courier_ref: str,
        accepted_at: datetime,
        now: datetime,
        context: CourierContext | None = None,
    ) -> InterceptReply: ...


# Share of intercept requests a courier's network honours for a parcel in the trunk network.
ACCEPT_RATES = {
    "sf": 0.95,
    "jd": 0.93,
    "zto": 0.86,
    "yto": 0.84,
    "yunda": 0.82,
    "sto": 0.8,
    "ems": 0.78,
    "jt": 0.76,
}
STATUS_FACTOR = {
    None: 1.0,  # not collected yet: the warehouse hands it back
    TrackingStatus.COLLECTED: 1.0,
    TrackingStatus.IN_TRANSIT: 0.97,
    TrackingStatus.EXCEPTION: 0.9,
    TrackingStatus.FAILED: 0.95,
    TrackingStatus.OUT_FOR_DELIVERY: 0.4,
}
FAST = ("sf", "jd")
DELIVERED_ANYWAY = 0.06
# Return pickups: couriers need this much notice, skip remote regions, and some slots are full.
PICKUP_NOTICE = timedelta(hours=2)
NO_PICKUP_REGIONS = ("新疆", "西藏", "青海")
PICKUP_FULL_RATE = 0.08
WAYBILL_PREFIX = {"sf": "SF", "jd": "JDV", "zto": "ZT", "yto": "YT", "yunda": "YD", "sto": "ST", "ems": "EM"}


class SimulatedCourier:
    """Deterministic given ``seed``: the same parcel always gets the same answers."""

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def _rng(self, courier: str, tracking_no: str, stage: str) -> random.Random:
        return random.Random(f"{self.seed}:{courier}:{tracking_no}:{stage}")

    def request_intercept(
        self,
        *,
        courier: str,
        tracking_no: str,
        parcel_status: TrackingStatus | None,
        now: datetime,
        context: CourierContext | None = None,
    ) -> InterceptReply:
        rng = self._rng(courier, tracking_no, "request")
        rate = ACCEPT_RATES.get(courier, 0.8) * STATUS_FACTOR.get(parcel_status, 0.9)
        if rng.random() < rate:
            return InterceptReply(
                "accepted", f"IC{rng.randint(10**9, 10**10 - 1)}", "网点已受理拦截,快件将退回寄件人"
            )
        if parcel_status == TrackingStatus.OUT_FOR_DELIVERY:
            return InterceptReply("rejected", None, "快件已在派送途中,网点无法拦截")
        return InterceptReply(
            "rejected", None, rng.choice(("转运中心未能及时截停", "该网点暂不支持拦截服务"))
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
        if slot_start - now < PICKUP_NOTICE:
            return PickupReply("refused", detail="取件时间过近,网点来不及安排快递员")
        if any(region in address for region in NO_PICKUP_REGIONS):
            return PickupReply("refused", detail="该地址暂不支持上门取件")
        rng = self._rng(courier, f"{address}|{slot_start.isoformat()}", "pickup")
        if rng.random() < PICKUP_FULL_RATE:
            return PickupReply("refused", detail="该时段网点运力已满")
        waybill = f"{WAYBILL_PREFIX.get(courier, 'RT')}{rng.randint(10**11, 10**12 - 1)}"
        return PickupReply("booked", f"{rng.randint(0, 999_999):06d}", waybill, "网点已接单,快递员将按时上门")

    def return_hours(self, courier: str, tracking_no: str) -> float:
        rng = self._rng(courier, tracking_no, "return")
        return rng.uniform(18, 60) if courier in FAST else rng.uniform(24, 96)

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
        if now < accepted_at + timedelta(hours=self.return_hours(courier, tracking_no)):
            return InterceptReply("pending", courier_ref)
        if self._rng(courier, tracking_no, "outcome").random() < DELIVERED_ANYWAY:
            return InterceptReply("failed", courier_ref, "派件员未收到拦截指令,快件已派送签收")
        return InterceptReply("returned", courier_ref, "快件已退回寄件人")


_adapters: dict[str, CourierAdapter] = {}
_fallback: CourierAdapter = SimulatedCourier()


def register_courier(code: str, adapter: CourierAdapter) -> None:
    _adapters[code] = adapter


def unregister_courier(code: str) -> None:
    _adapters.pop(code, None)


def use_simulated_courier(seed: int) -> None:
    """Reseed the stand-in used by every courier without a real adapter (tests, demo)."""
    global _fallback
    _fallback = SimulatedCourier(seed)


def simulated_courier() -> CourierAdapter:
    """The stand-in in use now (reseeded by ``use_simulated_courier``)."""
    return _fallback


def courier_adapter(code: str) -> CourierAdapter:
    return _adapters.get(code, _fallback)
