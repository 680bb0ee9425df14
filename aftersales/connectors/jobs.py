"""Connector jobs: 快递100 subscriptions and the real-time query fallback; platform order and
refund sync; 聚水潭 and 旺店通 reshipment waybills."""

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.connectors import jushuitan, platform_sync, registered, tracking, wangdiantong  # noqa: F401
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


@job("connectors.wangdiantong_pull", every=timedelta(minutes=5))
def wangdiantong_pull(session: Session, limit: int = 200) -> dict[str, Any]:
    """Every 5 minutes, as 旺店通 advises for 查询物流同步."""
    return wangdiantong.pull_shipped(session, limit=limit)
