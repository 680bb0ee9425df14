"""Connector jobs: 快递100 subscriptions of new parcels, and the real-time query fallback."""

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.connectors import sms, tracking  # noqa: F401  (sms: the outbox's SMS channel)
from aftersales.jobs import job


@job("connectors.kuaidi100_subscribe", every=timedelta(minutes=1))
def kuaidi100_subscribe(session: Session, limit: int = 200) -> dict[str, Any]:
    return tracking.subscribe_due(session, limit=limit)


@job("connectors.kuaidi100_query", every=timedelta(minutes=30))
def kuaidi100_query(session: Session, limit: int = 50) -> dict[str, Any]:
    return tracking.query_untracked(session, limit=limit)
