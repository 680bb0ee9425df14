"""One parcel's journey as courier tracking lines, with anomalies at realistic rates.

Rates per parcel: no first scan 1%, stuck at a hub 1.5%, weather delay 2%, late 5%, delivery
failed 0.6%, returned to sender 0.3%. Transit time grows with distance, courier and the peak.
"""

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aftersales.demo import catalog_data as data

BASE_TRANSIT_HOURS = (30, 44, 62, 110)  # by distance class: near, middle, far, remote


@dataclass
class ParcelPlan:
    order_no: str
    shipment: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    delivered_at: datetime | None = None
    anomaly: str | None = None


def _courier(rng: random.Random, shop_code: str) -> tuple[str, float]:
    table = data.JD_COURIERS if shop_code == "digital-jd" else data.COURIERS
    code, _share, speed = rng.choices(table, weights=[c[1] for c in table])[0]
    return code, speed


def _anomaly(rng: random.Random) -> str | None:
    roll = rng.random()
    for name, rate in (
        ("no_first_scan", 0.01),
        ("stuck", 0.015),
        ("weather", 0.02),
        ("late", 0.05),
        ("failed", 0.006),
        ("returned", 0.003),
    ):
        if roll < rate:
            return name
        roll -= rate
    return None


def plan_parcel(
    rng: random.Random,
    *,
    order_no: str,
    shop_code: str,
    origin: str,
    destination: tuple[str, str, int],
    shipped_at: datetime,
    as_of: datetime,
    summary: str,
) -> ParcelPlan | None:
    if shipped_at > as_of:
        return None
    courier, speed = _courier(rng, shop_code)
    city, district, distance = destination
    transit = timedelta(hours=BASE_TRANSIT_HOURS[distance] * speed * rng.uniform(0.8, 1.3))
    anomaly = _anomaly(rng)
    tracking_no = f"{courier.upper()}{rng.randint(10**11, 10**12 - 1)}"
    plan = ParcelPlan(
        order_no,
        {
            "courier": courier,
            "tracking_no": tracking_no,
            "shipped_at": shipped_at,
            "estimated_delivery_at": shipped_at + transit + timedelta(hours=12),
            "item_summary": summary[:255],
        },
        anomaly=anomaly,
    )
    if anomaly == "no_first_scan":
        return plan
    plan.events = _journey(rng, plan, origin.split()[-1], city, district, transit, anomaly, as_of)
    return plan


def _journey(
    rng: random.Random,
    plan: ParcelPlan,
    origin_city: str,
    city: str,
    district: str,
    transit: timedelta,
    anomaly: str | None,
    as_of: datetime,
) -> list[dict[str, Any]]:
    courier, tracking_no = plan.shipment["courier"], plan.shipment["tracking_no"]
    if anomaly == "late":
        transit *= rng.uniform(1.8, 2.6)
    t = plan.shipment["shipped_at"] + timedelta(hours=rng.uniform(1, 8))
    steps: list[tuple[float, str, str]] = [
        (0.0, origin_city, f"【{origin_city}】快件已揽收"),
        (0.08, origin_city, f"快件已到达【{origin_city}转运中心】"),
        (0.15, origin_city, f"快件已从【{origin_city}转运中心】发出,下一站【{city}转运中心】"),
    ]
    if anomaly == "weather":
        steps.append((0.4, "途中", "因天气原因,快件运输延误,我们将尽快为您派送"))
        transit *= 1.6
    steps.append((0.7, city, f"快件已到达【{city}转运中心】"))
    if anomaly == "stuck":
        steps = steps[: rng.choice((3, len(steps)))]
    else:
        steps += _last_mile(rng, city, district, anomaly)
    events = []
    for fraction, location, text in steps:
        at = t + transit * fraction
        if at > as_of:
            break
        events.append(
            {
                "courier": courier,
                "tracking_no": tracking_no,
                "occurred_at": at,
                "raw_text": text,
                "location": location,
            }
        )
        if "签收" in text and "失败" not in text:
            plan.delivered_at = at
    return events


def _last_mile(
    rng: random.Random, city: str, district: str, anomaly: str | None
) -> list[tuple[float, str, str]]:
    courier_man = f"{rng.choice(data.SURNAMES)}师傅"
    dispatch = (0.9, city, f"【{city}{district}】派件员 {courier_man} 正在派送,请保持电话畅通")
    if anomaly == "failed":
        return [dispatch, (0.98, city, f"【{city}{district}】派送失败:收件人电话无人接听,将再次安排派送")]
    if anomaly == "returned":
        return [dispatch, (0.98, city, "派送失败:收件人拒收"), (1.2, city, "快件已退回寄件人")]
    place = rng.choice(("本人签收", "家门口", "菜鸟驿站代收", "快递柜代收"))
    return [dispatch, (1.0, city, f"【{city}{district}】已签收,签收人:{place}")]
