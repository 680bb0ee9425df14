"""Connector jobs: 快递100 subscriptions and the real-time query fallback; platform order and
refund sync; 聚水潭 reshipment waybills."""

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.connectors import jushuitan, platform_sync, registered, tracking  # noqa: F401  (registered)
from aftersales.jobs import job


@job("connectors.kuaidi100_subscribe", every=timedelta(minutes=1))
def kuaidi100_subscribe(session: Session, limit: int = 200) -> dict[str, Any]:
    return tracking.subscribe_due(session, limit=limit)


@job("connectors.kuaidi100_query", every=timedelta(minutes=30))
def kuaidi100_query(session: Session, limit: int = 50) -> dict[str, Any]:
    return tracking.query_untracked(session, limit=limit)


@job("connectors.platform_sync", every=timedelta(minutes=5))
def platform_sync_due(session: Session) -> dict[str, Any]:
    return platform_sync.sync_due(session)


@job("connectors.jushuitan_pull", every=timedelta(minutes=10))
def jushuitan_pull(session: Session, limit: int = 200) -> dict[str, Any]:
    return jushuitan.pull_shipped(session, limit=limit)
