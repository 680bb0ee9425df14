"""Incremental platform sync (淘宝/天猫 TOP, 抖店, 拼多多): orders and refunds, each stream read
window by window from its cursor, with back-off when the platform throttles or fails.

Each platform module describes itself as a ``Platform`` (how to fetch one page of a window, how
a row becomes an order, parcels or a refund row, the longest window its API accepts) and
registers it; this module owns what they share. A window ends a few minutes before now, so a
row modified while we read is taken in the next window. The cursor moves only when a whole
window has been read; a failure keeps it, so nothing is skipped. Orders and parcels go through
``orders.service`` (idempotent upserts); refunds are turned into the columns of a platform
退款 export and go through the returns importer's ``parse_row`` and ``create_request`` — the
same path as ``aftersales import returns``, so a refund on a parcel in transit asks logistics to
intercept it exactly as a spreadsheet import does.

Two more ways in share that path. A platform that pushes messages (抖店's push, 淘宝's TMC)
names the orders and after-sales that changed; ``fetch_named`` reads each of them with the
platform's targeted query and stores it exactly as a synced row. A platform that lists the
reviews a shop received (淘宝) has a third stream, ``reviews``, whose rows (in ``ReviewIn``'s
field names) go to the intake the reviews domain registers with ``register_review_intake`` — it
sits above this package, so it plugs in as a courier or a channel does.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.connectors import service
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount
from aftersales.jobs.runner import backoff
from aftersales.kit.errors import AftersalesError, InvalidInputError
from aftersales.kit.time import utcnow
from aftersales.orders.schemas import OrderIn, ShipmentIn
from aftersales.orders.service import ingest_orders, ingest_shipments
from aftersales.returns.importer import parse_row
from aftersales.returns.service import create_request

LAG = timedelta(minutes=3)
FIRST_WINDOW = timedelta(days=1)  # a new connection starts this far back (backfill reaches further)
MAX_PAGES = 200
MAX_WINDOWS = 200  # per stream and run: a 90-day backfill in 30-minute windows takes several runs
STREAMS = ("trades", "refunds")
REVIEWS = "reviews"
Row = dict[str, Any]


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    has_next: bool


Fetch = Callable[[ConnectorAccount, datetime, datetime, int], Page]
FetchOne = Callable[[ConnectorAccount, str], list[Row]]
# The reviews domain's intake: review rows of one account's shop in, how many were stored out.
ReviewIntake = Callable[[Session, ConnectorAccount, list[Row]], int]


@dataclass(frozen=True)
class Platform:
    """One platform's side of the sync; ``refund_row`` returns None for a refund that needs
    nothing (the buyer cancelled it), ``check`` is 测试连接 and names the authorised shop."""

    provider: str
    window: timedelta
    trade_key: str  # the order number's field, named in the health record when a row is refused
    trades: Fetch
    refunds: Fetch
    order: Callable[[Row, str], OrderIn]
    shipments: Callable[[Row, str], list[ShipmentIn]]
    refund_row: Callable[[Row, str], Row | None]
    check: Callable[[ConnectorAccount], str]
    first_page: int = 1
    # Targeted reads by the platform's own id, for pushed messages (None: the platform pushes nothing).
    trade_by_id: FetchOne | None = None
    refund_by_id: FetchOne | None = None
    # Reviews the shop received, in windows like the other streams, as ``ReviewIn`` fields.
    reviews: Fetch | None = None
    review_row: Callable[[Row], Row | None] | None = None


_platforms: dict[str, Platform] = {}
_review_intake: list[ReviewIntake] = []


def register_review_intake(intake: ReviewIntake) -> None:
    _review_intake[:] = [intake]


def register_platform(platform: Platform) -> None:
    _platforms[platform.provider] = platform
    service.register_check(platform.provider, lambda session, account: _check(session, account, platform))


def is_platform(provider: str) -> bool:
    return provider in _platforms


def store_trades(session: Session, account: ConnectorAccount, platform: Platform, rows: list[Row]) -> int:
    """Orders and their parcels in bulk; a row our schemas refuse is reported and skipped."""
    shop_code = _shop_code(session, account)
    orders, parcels = [], []
    for row in rows:
        try:
            orders.append(platform.order(row, shop_code))
            parcels += platform.shipments(row, shop_code)
        except (ValidationError, KeyError, ValueError, TypeError) as exc:
            service.record_failure(account, f"订单 {row.get(platform.trade_key)} 未导入: {str(exc)[:200]}")
    ingest_orders(session, orders)
    if parcels:
        ingest_shipments(session, parcels)
    return len(orders)


def store_refunds(session: Session, account: ConnectorAccount, platform: Platform, rows: list[Row]) -> int:
    """Each refund in its own savepoint, as the importer does: one the returns intake refuses (its
    reason cannot be read, its order is unknown) goes into the health record and the rest are kept."""
    shop_code = _shop_code(session, account)
    stored = 0
    for refund in rows:
        row = platform.refund_row(refund, shop_code)
        if row is None:
            continue
        try:
            with session.begin_nested():
                create_request(session, data=parse_row(row, shop_code=shop_code))
            stored += 1
        except AftersalesError as exc:
            service.record_failure(account, f"退款 {row.get('退款编号')} 未导入: {exc.message}")
    return stored


def _shop_code(session: Session, account: ConnectorAccount) -> str:
    shop = session.get(Shop, account.shop_id) if account.shop_id else None
    if shop is None:
        label = service.provider_spec(account.provider).label
        raise InvalidInputError("shop", f"{label}连接必须属于一个店铺(授权属于单个店铺)")
    return shop.code


def _cursor(account: ConnectorAccount, stream: str, now: datetime) -> datetime:
    value = (account.cursor or {}).get(stream)
    return datetime.fromisoformat(value) if value else now - FIRST_WINDOW


def store_reviews(session: Session, account: ConnectorAccount, platform: Platform, rows: list[Row]) -> int:
    """Reviews the platform listed, through the reviews domain's intake (idempotent by review id)."""
    assert platform.review_row is not None
    reviews = [review for review in map(platform.review_row, rows) if review is not None]
    return _review_intake[0](session, account, reviews) if reviews else 0


Store = Callable[[Session, ConnectorAccount, Platform, list[Row]], int]


def _stream(platform: Platform, stream: str) -> tuple[Fetch, Store]:
    if stream == "trades":
        return platform.trades, store_trades
    if stream == "refunds":
        return platform.refunds, store_refunds
    assert platform.reviews is not None
    return platform.reviews, store_reviews


def streams(platform: Platform) -> tuple[str, ...]:
    """The trades and refunds of every platform; reviews where the platform lists them and the
    reviews domain has registered its intake."""
    has_reviews = platform.reviews is not None and bool(_review_intake)
    return (*STREAMS, REVIEWS) if has_reviews else STREAMS


def _read_window(
    session: Session,
    account: ConnectorAccount,
    platform: Platform,
    stream: str,
    span: tuple[datetime, datetime],
) -> int:
    fetch, store = _stream(platform, stream)
    stored = 0
    for page_no in range(platform.first_page, platform.first_page + MAX_PAGES):
        page = fetch(account, span[0], span[1], page_no)
        stored += store(session, account, platform, page.rows) if page.rows else 0
        if not page.has_next:
            break
    return stored


def sync_account(
    session: Session, *, account: ConnectorAccount, now: datetime | None = None
) -> dict[str, int]:
    """Read every stream from its cursor up to now (minus the lag), one window at a time."""
    now = now or utcnow()
    platform = _platforms[account.provider]
    counts = dict.fromkeys(streams(platform), 0)
    try:
        for stream in counts:
            counts[stream] += _sync_stream(session, account, platform, stream, now)
    except ProviderError as exc:
        _back_off(account, exc.message, now=now)
        return {**counts, "failed": 1}
    account.sync_failures = 0
    account.next_sync_at = None
    account.last_sync_at = now
    service.record_success(account)
    session.flush()
    return {**counts, "failed": 0}


def _sync_stream(
    session: Session, account: ConnectorAccount, platform: Platform, stream: str, now: datetime
) -> int:
    stored = 0
    start, until = _cursor(account, stream, now), now - LAG
    for _ in range(MAX_WINDOWS):
        if start >= until:
            break
        end = min(start + platform.window, until)
        with session.begin_nested():
            stored += _read_window(session, account, platform, stream, (start, end))
        account.cursor = {**(account.cursor or {}), stream: end.isoformat()}
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
    for stream in streams(_platforms[account.provider]):
        current = cursors.get(stream)
        if current is None or datetime.fromisoformat(current) > start:
            cursors[stream] = start.isoformat()
    account.cursor = cursors
    account.next_sync_at = None
    session.flush()


def fetch_named(
    session: Session, *, account: ConnectorAccount, trades: list[str], refunds: list[str]
) -> dict[str, int]:
    """The orders and after-sales a platform message named, read one by one with the platform's
    targeted query and stored as the sync stores them (so a repeat changes nothing and a refund
    on a parcel in transit asks for interception). A ``ProviderError`` propagates: the caller
    (a job) retries later."""
    platform = _platforms[account.provider]
    if platform.trade_by_id is None or platform.refund_by_id is None:
        raise InvalidInputError("provider", f"{service.provider_spec(account.provider).label}没有消息推送")
    counts = {"trades": 0, "refunds": 0}
    for number in trades:
        counts["trades"] += store_trades(session, account, platform, platform.trade_by_id(account, number))
    for number in refunds:
        counts["refunds"] += store_refunds(session, account, platform, platform.refund_by_id(account, number))
    service.record_success(account)
    session.flush()
    return counts


def due_accounts(session: Session, *, now: datetime) -> list[ConnectorAccount]:
    query = select(ConnectorAccount).where(
        ConnectorAccount.provider.in_(sorted(_platforms)),
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


def _check(session: Session, account: ConnectorAccount, platform: Platform) -> str:
    _shop_code(session, account)
    return platform.check(account)
