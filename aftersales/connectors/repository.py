"""Queries of the connectors the 连接 page shows (the providers' own calls live in their modules)."""

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.connectors.models import SmsSend, TrackingSubscription


def subscription_counts(session: Session) -> dict[str, int]:
    """Tracking subscriptions per status."""
    query = select(TrackingSubscription.status, func.count()).group_by(TrackingSubscription.status)
    return dict(session.execute(query).all())


def receipt_counts(session: Session) -> dict[bool | None, int]:
    """SMS sends by delivery receipt: delivered, failed, or not reported yet."""
    query = select(SmsSend.delivered, func.count()).group_by(SmsSend.delivered)
    return dict(session.execute(query).all())
