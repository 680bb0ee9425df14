"""Queries of the logistics domain that the API and console share."""

from sqlalchemy import Row, Select, or_, select
from sqlalchemy.orm import Session

from aftersales.kit.errors import NotFoundError
from aftersales.logistics.models import Anomaly, AnomalyRule, Intercept, InterceptStatus
from aftersales.orders.models import Order, Shipment
from aftersales.web.sorting import SortChoice


def anomaly_row(session: Session, anomaly_id: int) -> Row[Anomaly, Shipment, Order]:
    row = session.execute(
        select(Anomaly, Shipment, Order)
        .join(Shipment, Shipment.id == Anomaly.shipment_id)
        .join(Order, Order.id == Anomaly.order_id)
        .where(Anomaly.id == anomaly_id)
    ).first()
    if row is None:
        raise NotFoundError(f"物流异常不存在: {anomaly_id}")
    return row


# The orders the intercept list offers besides its default (newest first).
INTERCEPT_SORTS = {
    "refund_asc": SortChoice("退款申请(早→晚)", (Intercept.refund_requested_at, Intercept.id)),
    "value_desc": SortChoice("货值(高→低)", (Intercept.goods_value_fen.desc(), Intercept.id)),
}
# The orders the anomaly list offers besides its default (last seen first).
ANOMALY_SORTS = {
    "observed_asc": SortChoice("异常起始(早→晚)", (Anomaly.observed_at, Anomaly.id)),
    "first_seen_desc": SortChoice("发现时间(新→旧)", (Anomaly.first_seen_at.desc(), Anomaly.id.desc())),
}


def intercepts_query(
    *, status: InterceptStatus | None = None, number: str | None = None
) -> Select[Intercept, Shipment, Order]:
    """Newest first; ``number`` is an order or tracking number an agent pasted."""
    query = (
        select(Intercept, Shipment, Order)
        .join(Shipment, Shipment.id == Intercept.shipment_id)
        .join(Order, Order.id == Intercept.order_id)
        .order_by(Intercept.created_at.desc(), Intercept.id.desc())
    )
    if number:
        query = query.where(or_(Order.source_id == number.strip(), Shipment.tracking_no == number.strip()))
    return query.where(Intercept.status == status) if status is not None else query


def anomaly_rules(session: Session) -> list[AnomalyRule]:
    return list(session.scalars(select(AnomalyRule).order_by(AnomalyRule.kind, AnomalyRule.courier)))
