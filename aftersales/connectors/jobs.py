"""Connector jobs: 快递100 subscriptions and the real-time query fallback; platform order and
refund sync, 淘宝's message service (TMC) and the targeted fetch of what a platform message names;
聚水潭 and 旺店通 reshipment waybills."""

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from aftersales.connectors import (  # noqa: F401  (registered)
    jushuitan,
    platform_sync,
    registered,
    service,
    taobao_tmc,
    tracking,
    wangdiantong,
)
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount
from aftersales.jobs import Checkpoint, job


@job("connectors.kuaidi100_subscribe", every=timedelta(minutes=1))
def kuaidi100_subscribe(session: Session, limit: int = 200) -> dict[str, Any]:
    return tracking.subscribe_due(session, limit=limit)


@job("connectors.kuaidi100_query", every=timedelta(minutes=30))
def kuaidi100_query(session: Session, limit: int = 50) -> dict[str, Any]:
    return tracking.query_untracked(session, limit=limit)


@job("connectors.platform_sync", every=timedelta(minutes=5))
def platform_sync_due(session: Session) -> dict[str, Any]:
    return platform_sync.sync_due(session)


@job("connectors.platform_fetch", max_attempts=8)
def platform_fetch(
    session: Session, account_id: int, trades: list[str], refunds: list[str]
) -> dict[str, Any]:
    """What a pushed message named, read and stored now. A throttled or failing platform raises,
    so the runner tries again later; refused credentials are the account's error and end it."""
    account = session.get(ConnectorAccount, account_id)
    if account is None or not account.enabled:
        return {"skipped": 1}
    try:
        return platform_sync.fetch_named(session, account=account, trades=trades, refunds=refunds)
    except ProviderError as exc:
        if exc.retry:
            raise
        service.record_failure(account, exc.message)
        return {"failed": 1}


@job("connectors.taobao_tmc", every=timedelta(minutes=1), max_attempts=1, checkpoints=True)
def taobao_tmc_drain(
    session: Session, checkpoint: Checkpoint, seconds: float = taobao_tmc.DRAIN_SECONDS
) -> dict[str, Any]:
    """One short TMC connection per app key and group each minute (see ``taobao_tmc``): each
    message's fetch is committed before it is confirmed. Not retried: the next minute's run is
    the retry, and a message never confirmed is delivered again then."""
    return taobao_tmc.drain_due(session, checkpoint=checkpoint, seconds=seconds)


@job("connectors.jushuitan_pull", every=timedelta(minutes=10))
def jushuitan_pull(session: Session, limit: int = 200) -> dict[str, Any]:
    return jushuitan.pull_shipped(session, limit=limit)


@job("connectors.wangdiantong_pull", every=timedelta(minutes=5))
def wangdiantong_pull(session: Session, limit: int = 200) -> dict[str, Any]:
    """Every 5 minutes, as 旺店通 advises for 查询物流同步."""
    return wangdiantong.pull_shipped(session, limit=limit)
