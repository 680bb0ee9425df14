"""Builders for logistics tests: parcels with a tracking timeline, regions, templates."""

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from aftersales.logistics.models import ANY_COURIER, CareMessage, CareStatus, CareStep, RestrictedRegion
from aftersales.messaging.templates import MessageTemplate, save_template
from aftersales.orders.models import Customer, Order, Shipment
from aftersales.orders.repository import refresh_shipment_state
from aftersales.orders.tracking import classify
from tests.builders.orders import make_event, make_order, make_shipment


def make_parcel(
    session: Session,
    *,
    shipped_at: datetime,
    timeline: list[tuple[datetime, str, str | None]] | None = None,
    order: Order | None = None,
    **overrides: Any,
) -> Shipment:
    """A parcel whose events are ``(time, courier text, location)``; the state columns are
    refreshed the way ingestion does it, so the scan sees what production would."""
    order = order or make_order(session)
    shipment = make_shipment(session, order=order, shipped_at=shipped_at, **overrides)
    for occurred_at, text, location in timeline or []:
        make_event(
            session,
            shipment=shipment,
            occurred_at=occurred_at,
            status=classify(text),
            raw_text=text,
            location=location,
        )
    refresh_shipment_state(session, [shipment.id])
    session.expire(shipment)
    return shipment


def make_region(
    session: Session, *, province: str, valid_from: datetime, **overrides: Any
) -> RestrictedRegion:
    fields = {"city": "", "district": "", "courier": ANY_COURIER, "reason": "大促爆仓停发", **overrides}
    region = RestrictedRegion(province=province, valid_from=valid_from, **fields)
    session.add(region)
    session.flush()
    return region


def make_template(
    session: Session, *, code: str = "tpl", body: str = "亲,订单 {{ order_no }}", **overrides: Any
) -> MessageTemplate:
    return save_template(session, code=code, name=overrides.pop("name", code), body=body, **overrides)


# Courier events as (when, text, where), the shape the scan tests feed to ingestion.


def collected(at: datetime, where: str = "杭州") -> tuple[datetime, str, str]:
    return (at, f"【{where}】快件已揽收", where)


def arrived(at: datetime, where: str) -> tuple[datetime, str, str]:
    return (at, f"快件已到达【{where}转运中心】", where)


def delivered(at: datetime, where: str = "北京") -> tuple[datetime, str, str]:
    return (at, "已签收,签收人:本人签收", where)


def make_care_step(
    session: Session, *, customer: Customer, due_at: datetime, **overrides: Any
) -> CareMessage:
    """A sent 签收关怀 step on a new order of ``customer``."""
    order = make_order(session, customer=customer)
    fields: dict[str, Any] = {
        "step": CareStep.CARE,
        "status": CareStatus.SENT,
        "sent_at": due_at,
        **overrides,
    }
    row = CareMessage(order_id=order.id, customer_id=customer.id, due_at=due_at, **fields)
    session.add(row)
    session.flush()
    return row
