"""Incremental platform sync for 淘宝/天猫 (TOP): orders sold and refunds received, each stream
read window by window from its cursor, with back-off when the platform throttles or fails.

A window is at most one day (TOP's limit for the increment APIs) and ends a few minutes before
now, so a trade modified while we read is taken in the next window. The cursor moves only when a
whole window has been read; a failure keeps it, so nothing is skipped. Orders and parcels go
through ``orders.service`` (idempotent upserts); refunds are turned into the columns of a 淘宝
退款 export and go through the returns importer's ``parse_row`` and ``create_request`` — the
same path as ``aftersales import returns``, so a refund on a parcel in transit asks logistics to
intercept it exactly as a spreadsheet import does.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import service, taobao
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.jobs.runner import backoff
from aftersales.kit.errors import AftersalesError, InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.orders.service import ingest_orders, ingest_shipments
from aftersales.returns.importer import parse_row
from aftersales.returns.service import create_request

LAG = timedelta(minutes=3)
FIRST_WINDOW = timedelta(days=1)  # a new connection starts this far back (backfill reaches further)
MAX_PAGES = 200


@dataclass(frozen=True)
class Stream:
    name: str
    method: str
    fields: str
    outer: str
    inner: str
    store: Callable[[Session, ConnectorAccount, list[dict[str, Any]], str], int]


def _store_trades(
    session: Session, account: ConnectorAccount, trades: list[dict[str, Any]], shop_code: str
) -> int:
    """Orders and their parcels in bulk; a trade our schemas refuse is reported and skipped."""
    orders, parcels = [], []
    for trade in trades:
        try:
            orders.append(taobao.trade_order(trade, shop_code))
            parcels += taobao.trade_shipments(trade, shop_code)
        except (ValidationError, KeyError, ValueError) as exc:
            service.record_failure(account, f"订单 {trade.get('tid')} 未导入: {str(exc)[:200]}")
    ingest_orders(session, orders)
    if parcels:
        ingest_shipments(session, parcels)
    return len(orders)


def _store_refunds(
    session: Session, account: ConnectorAccount, refunds: list[dict[str, Any]], shop_code: str
) -> int:
    """Each refund in its own savepoint, as the importer does: one the returns intake refuses (its
    reason cannot be read, its order is unknown) goes into the health record and the rest are kept."""
    stored = 0
    for refund in refunds:
        if refund.get("status") == taobao.CANCELLED_REFUND:
            continue
        row = taobao.refund_row(refund, shop_code)
        try:
            with session.begin_nested():
                create_request(session, data=parse_row(row, shop_code=shop_code))
            stored += 1
        except AftersalesError as exc:
            service.record_failure(account, f"退款 {refund.get('refund_id')} 未导入: {exc.message}")
    return stored


STREAMS = (
    Stream("trades", taobao.TRADES, taobao.TRADE_FIELDS, "trades", "trade", _store_trades),
    Stream("refunds", taobao.REFUNDS, taobao.REFUND_FIELDS, "refunds", "refund", _store_refunds),
)


def call(account: ConnectorAccount, method: str, params: dict[str, str]) -> dict[str, Any]:
    creds = service.credentials(account)
    form = taobao.signed_form(
        app_key=creds["app_key"],
        secret=creds["app_secret"],
        session_key=creds["session"],
        method=method,
        params=params,
        now=utcnow(),
        sign_method=str(account.settings.get("sign_method") or "md5"),
    )
    response = service.request("POST", service.endpoint(account), data=form)
    try:
        reply = json.loads(response.text)
    except ValueError:
        raise ProviderError(f"淘宝应答不是 JSON (HTTP {response.status_code})") from None
    return taobao.read_reply(reply if isinstance(reply, dict) else {}, method)


def _shop_code(session: Session, account: ConnectorAccount) -> str:
    shop = session.get(Shop, account.shop_id) if account.shop_id else None
    if shop is None:
        raise InvalidInputError("shop", "淘宝连接必须属于一个店铺(授权 session 是店铺的)")
    return shop.code


def _cursor(account: ConnectorAccount, stream: str, now: datetime) -> datetime:
    value = (account.cursor or {}).get(stream)
    return datetime.fromisoformat(value) if value else now - FIRST_WINDOW


def _read_window(
    session: Session, account: ConnectorAccount, stream: Stream, start: datetime, end: datetime
) -> int:
    shop_code = _shop_code(session, account)
    stored = 0
    for page_no in range(1, MAX_PAGES + 1):
        body = call(account, stream.method, taobao.window_params(start, end, page_no, stream.fields))
        rows = taobao.listed(body, stream.outer, stream.inner)
        stored += stream.store(session, account, rows, shop_code) if rows else 0
        if str(body.get("has_next")).lower() != "true":
            break
    return stored


def sync_account(
    session: Session, *, account: ConnectorAccount, now: datetime | None = None
) -> dict[str, int]:
    """Read every stream from its cursor up to now (minus the lag), one window at a time."""
    now = now or utcnow()
    counts = {stream.name: 0 for stream in STREAMS}
    try:
        for stream in STREAMS:
            counts[stream.name] += _sync_stream(session, account, stream, now)
    except ProviderError as exc:
        _back_off(account, exc.message, now=now)
        return {**counts, "failed": 1}
    account.sync_failures = 0
    account.next_sync_at = None
    account.last_sync_at = now
    service.record_success(account)
    session.flush()
    return {**counts, "failed": 0}


def _sync_stream(session: Session, account: ConnectorAccount, stream: Stream, now: datetime) -> int:
    stored = 0
    start, until = _cursor(account, stream.name, now), now - LAG
    while start < until:
        end = min(start + taobao.MAX_WINDOW, until)
        with session.begin_nested():
            stored += _read_window(session, account, stream, start, end)
        account.cursor = {**(account.cursor or {}), stream.name: end.isoformat()}
        start = end
    return stored


def _back_off(account: ConnectorAccount, error: str, *, now: datetime) -> None:
    account.sync_failures += 1
    account.next_sync_at = now + backoff(account.sync_failures + 2)
    service.record_failure(account, error)


def backfill(session: Session, *, account: ConnectorAccount, days: int, now: datetime | None = None) -> None:
    """Move every cursor back to ``days`` ago (never forward); the next sync reads from there."""
    if not 1 <= days <= 90:
        raise InvalidInputError("days", "补拉天数应在 1–90 之间")
    start = (now or utcnow()) - timedelta(days=days)
    cursors = dict(account.cursor or {})
    for stream in STREAMS:
        current = cursors.get(stream.name)
        if current is None or datetime.fromisoformat(current) > start:
            cursors[stream.name] = start.isoformat()
    account.cursor = cursors
    account.next_sync_at = None
    session.flush()


def due_accounts(session: Session, *, now: datetime) -> list[ConnectorAccount]:
    query = select(ConnectorAccount).where(
        ConnectorAccount.provider == Provider.TAOBAO,
        ConnectorAccount.enabled.is_(True),
        ConnectorAccount.shop_id.is_not(None),
        (ConnectorAccount.next_sync_at.is_(None)) | (ConnectorAccount.next_sync_at <= now),
    )
    return list(session.scalars(query.order_by(ConnectorAccount.id)))


def sync_due(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    totals: dict[str, int] = {}
    for account in due_accounts(session, now=now):
        for key, value in sync_account(session, account=account, now=now).items():
            totals[key] = totals.get(key, 0) + value
    return totals


def check_connection(session: Session, account: ConnectorAccount) -> str:
    """测试连接: ``taobao.user.seller.get`` with the shop's session proves key, secret and session."""
    _shop_code(session, account)
    body = call(account, taobao.SELLER, {"fields": "nick,user_id"})
    nick = (body.get("user") or {}).get("nick") if isinstance(body.get("user"), dict) else None
    return f"凭证有效,授权店铺 {nick or '(未返回昵称)'}"


service.register_check(Provider.TAOBAO, check_connection)
