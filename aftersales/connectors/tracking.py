"""Every new parcel subscribed at 快递100, pushes turned into tracking events, and the real-time
query for parcels 快递100 would not (or not yet) track.

Subscribing is HTTP, so it runs in the ``connectors.kuaidi100_subscribe`` job, never inside the
request that stored the parcel. Pushes go through ``orders.service.ingest_tracking_events``, the
same ingestion as the API and the signed webhook: an event already stored (same time and text)
is not stored again, and the logistics scan's marks follow from it.
"""

import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.connectors import kuaidi100, service
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import (
    GLOBAL_SCOPE,
    ConnectorAccount,
    Provider,
    SubscriptionStatus,
    TrackingSubscription,
)
from aftersales.kit.errors import InvalidInputError, NotAuthenticatedError
from aftersales.kit.time import utcnow
from aftersales.orders.models import Order, Shipment
from aftersales.orders.service import ingest_tracking_events

PUSH_PATH = "/api/connectors/kuaidi100/{account_id}/push"
HORIZON = timedelta(days=30)  # parcels shipped earlier are not subscribed any more
RESUBSCRIBE_AFTER = timedelta(minutes=30)  # the document's advice after status=abort
RETRY_AFTER = timedelta(minutes=10)
MAX_ATTEMPTS = 6
QUERY_EVERY = timedelta(hours=2)


class PushSignatureError(NotAuthenticatedError):
    """The push's ``sign`` is not MD5(param + salt) of this account."""


def callback_url(account: ConnectorAccount) -> str:
    base = str(account.settings.get("callback_base") or "").rstrip("/")
    if not base:
        raise InvalidInputError("callback_base", "快递100 连接需要设置 callback_base(对外 https 地址)")
    return base + PUSH_PATH.format(account_id=account.id)


def _due_parcels(
    session: Session, *, now: datetime, limit: int
) -> list[tuple[Shipment, Order, TrackingSubscription | None]]:
    """Parcels never subscribed (recent, not delivered) and subscriptions due for another try, of
    shops that have a 快递100 account (so other shops' parcels never fill the batch)."""
    scopes = set(
        session.scalars(
            select(ConnectorAccount.scope).where(
                ConnectorAccount.provider == Provider.KUAIDI100, ConnectorAccount.enabled.is_(True)
            )
        )
    )
    if not scopes:
        return []
    query = (
        select(Shipment, Order, TrackingSubscription)
        .join(Order, Order.id == Shipment.order_id)
        .outerjoin(TrackingSubscription, TrackingSubscription.shipment_id == Shipment.id)
        .where(
            Shipment.delivered_at.is_(None),
            Shipment.shipped_at >= now - HORIZON,
            (TrackingSubscription.id.is_(None))
            | (
                (TrackingSubscription.status == SubscriptionStatus.RETRY)
                & (TrackingSubscription.next_attempt_at <= now)
            ),
        )
        .order_by(Shipment.id)
        .limit(limit)
    )
    if GLOBAL_SCOPE not in scopes:
        query = query.where(Order.shop_id.in_([int(scope) for scope in scopes]))
    return [(shipment, order, sub) for shipment, order, sub in session.execute(query)]


def subscribe_due(session: Session, *, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Subscribe a batch of parcels; an account whose key is refused is marked and skipped."""
    now = now or utcnow()
    counts = {"subscribed": 0, "refused": 0, "retry": 0}
    broken: set[int] = set()
    accounts: dict[int, ConnectorAccount | None] = {}
    for shipment, order, subscription in _due_parcels(session, now=now, limit=limit):
        if order.shop_id not in accounts:
            accounts[order.shop_id] = service.account_for(
                session, provider=Provider.KUAIDI100, shop_id=order.shop_id
            )
        account = accounts[order.shop_id]
        if account is None or account.id in broken:
            continue
        if not account.settings.get("callback_base"):
            service.record_failure(account, "快递100 连接没有设置 callback_base,无法订阅")
            broken.add(account.id)
            continue
        if shipment.courier not in kuaidi100.COMPANY_CODES:
            subscription = subscription or _new_subscription(session, shipment, account)
            refused = kuaidi100.SubscribeOutcome(False, True, "", f"快递100 没有 {shipment.courier} 的编码")
            counts[_apply_outcome(subscription, refused, now=now)] += 1
            continue
        try:
            outcome = _subscribe(account, shipment, order)
        except ProviderError as exc:
            service.record_failure(account, exc.message)
            if not exc.retry:
                broken.add(account.id)  # a refused key: nothing about the parcel is recorded
                continue
            subscription = subscription or _new_subscription(session, shipment, account)
            _retry_later(subscription, code=exc.code, message=exc.message, now=now)
            counts["retry"] += 1
            continue
        service.record_success(account)
        subscription = subscription or _new_subscription(session, shipment, account)
        counts[_apply_outcome(subscription, outcome, now=now)] += 1
    session.flush()
    return counts


def _new_subscription(
    session: Session, shipment: Shipment, account: ConnectorAccount
) -> TrackingSubscription:
    subscription = TrackingSubscription(
        shipment_id=shipment.id, account_id=account.id, status=SubscriptionStatus.RETRY, attempts=0
    )
    session.add(subscription)
    return subscription


def _subscribe(account: ConnectorAccount, shipment: Shipment, order: Order) -> kuaidi100.SubscribeOutcome:
    creds = service.credentials(account)
    form = kuaidi100.subscribe_form(
        courier=shipment.courier,
        tracking_no=shipment.tracking_no,
        key=creds["key"],
        callback_url=callback_url(account),
        salt=creds["salt"],
        phone=order.receiver_phone,
    )
    response = service.request("POST", service.endpoint(account) + kuaidi100.SUBSCRIBE_PATH, data=form)
    return kuaidi100.read_subscribe_reply(_json(response.text))


def _json(text: str) -> dict[str, Any]:
    try:
        body = json.loads(text)
    except ValueError:
        raise ProviderError("快递100 的应答不是 JSON") from None
    if not isinstance(body, dict):
        raise ProviderError("快递100 的应答不是 JSON 对象")
    return body


def _apply_outcome(
    subscription: TrackingSubscription, outcome: kuaidi100.SubscribeOutcome, *, now: datetime
) -> str:
    subscription.attempts += 1
    subscription.last_code = outcome.code
    subscription.last_message = outcome.message[:255]
    if outcome.subscribed:
        subscription.status = SubscriptionStatus.SUBSCRIBED
        subscription.subscribed_at = now
        subscription.next_attempt_at = None
        return "subscribed"
    if outcome.refused or subscription.attempts >= MAX_ATTEMPTS:
        subscription.status = SubscriptionStatus.FAILED
        subscription.next_attempt_at = None
        return "refused"
    subscription.status = SubscriptionStatus.RETRY
    subscription.next_attempt_at = now + RETRY_AFTER
    return "retry"


def _retry_later(subscription: TrackingSubscription, *, code: str, message: str, now: datetime) -> None:
    subscription.attempts += 1
    subscription.last_code = code[:16] or None
    subscription.last_message = message[:255]
    exhausted = subscription.attempts >= MAX_ATTEMPTS
    subscription.status = SubscriptionStatus.FAILED if exhausted else SubscriptionStatus.RETRY
    subscription.next_attempt_at = None if exhausted else now + RETRY_AFTER * subscription.attempts


def verified_account(session: Session, *, account_id: int, param: str, sign: str) -> ConnectorAccount:
    """The 快递100 account a push names, once its ``sign`` is MD5(param + salt) of that account."""
    account = session.get(ConnectorAccount, account_id)
    if account is None or account.provider != Provider.KUAIDI100:
        raise PushSignatureError("未知的快递100 连接")
    expected = kuaidi100.push_sign(param, service.credentials(account)["salt"])
    if not hmac.compare_digest(expected, sign.strip().upper()):
        raise PushSignatureError("快递100 推送签名校验失败")
    return account


def handle_push(session: Session, *, account: ConnectorAccount, param: str) -> dict[str, Any]:
    """A verified push becomes tracking events; the subscription follows the push's status."""
    push = kuaidi100.parse_push(param)
    now = utcnow()
    shipment = _shipment(session, push)
    if shipment is not None:
        events = kuaidi100.track_events(
            courier=shipment.courier, tracking_no=shipment.tracking_no, data=push.data
        )
        if events:
            ingest_tracking_events(session, events)
        _follow_push(session, shipment, account, push, now=now)
    service.record_success(account)
    session.flush()
    return kuaidi100.PUSH_ACCEPTED


def _shipment(session: Session, push: kuaidi100.Push) -> Shipment | None:
    """Our parcel of the push; 快递100 may have corrected the courier code (autoCheck), so a
    number pushed under another company is still found by its number alone when unambiguous."""
    if push.courier:
        found = session.scalar(
            select(Shipment).where(Shipment.courier == push.courier, Shipment.tracking_no == push.tracking_no)
        )
        if found is not None:
            return found
    rows = list(session.scalars(select(Shipment).where(Shipment.tracking_no == push.tracking_no).limit(2)))
    return rows[0] if len(rows) == 1 else None


def _follow_push(
    session: Session, shipment: Shipment, account: ConnectorAccount, push: kuaidi100.Push, *, now: datetime
) -> None:
    subscription = session.scalar(
        select(TrackingSubscription).where(TrackingSubscription.shipment_id == shipment.id)
    )
    if subscription is None:
        subscription = _new_subscription(session, shipment, account)
    subscription.last_push_at = now
    subscription.last_message = push.message[:255] or subscription.last_message
    if push.status == "shutdown":
        subscription.status = SubscriptionStatus.FINISHED
        subscription.next_attempt_at = None
    elif push.status == "abort":
        subscription.status = SubscriptionStatus.RETRY
        subscription.next_attempt_at = now + RESUBSCRIBE_AFTER
    else:
        subscription.status = SubscriptionStatus.SUBSCRIBED


def query_parcel(
    session: Session, *, account: ConnectorAccount, shipment: Shipment, phone: str | None
) -> int:
    """实时查询 one parcel and store its track; returns the number of new events."""
    creds = service.credentials(account)
    form = kuaidi100.query_form(
        courier=shipment.courier,
        tracking_no=shipment.tracking_no,
        key=creds["key"],
        customer=creds["customer"],
        phone=phone,
    )
    response = service.request("POST", service.endpoint(account) + kuaidi100.QUERY_PATH, data=form)
    data = kuaidi100.read_query_reply(_json(response.text))
    if not data:
        return 0
    events = kuaidi100.track_events(courier=shipment.courier, tracking_no=shipment.tracking_no, data=data)
    return ingest_tracking_events(session, events).created if events else 0


def query_untracked(session: Session, *, now: datetime | None = None, limit: int = 50) -> dict[str, int]:
    """The fallback: parcels whose subscription failed or is waiting to be renewed get a
    real-time query at most every ``QUERY_EVERY``."""
    now = now or utcnow()
    rows = session.execute(
        select(TrackingSubscription, Shipment, Order)
        .join(Shipment, Shipment.id == TrackingSubscription.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
        .where(
            TrackingSubscription.status.in_([SubscriptionStatus.FAILED, SubscriptionStatus.RETRY]),
            Shipment.delivered_at.is_(None),
            Shipment.shipped_at >= now - HORIZON,
            (TrackingSubscription.last_query_at.is_(None))
            | (TrackingSubscription.last_query_at <= now - QUERY_EVERY),
        )
        .order_by(TrackingSubscription.last_query_at.is_not(None), TrackingSubscription.id)
        .limit(limit)
    )
    counts = {"queried": 0, "events": 0, "errors": 0}
    for subscription, shipment, order in rows:
        account = session.get(ConnectorAccount, subscription.account_id)
        if account is None or not account.enabled:
            continue
        subscription.last_query_at = now
        try:
            counts["events"] += query_parcel(
                session, account=account, shipment=shipment, phone=order.receiver_phone
            )
        except ProviderError as exc:
            service.record_failure(account, exc.message)
            counts["errors"] += 1
            continue
        service.record_success(account)
        counts["queried"] += 1
    session.flush()
    return counts


def check_connection(session: Session, account: ConnectorAccount) -> str:
    """测试连接: a signed real-time query of the newest parcel (or a placeholder number); 快递100
    answers 503/601 to wrong credentials, and 查询无结果 still proves them right."""
    shipment = session.scalar(select(Shipment).order_by(Shipment.id.desc()).limit(1))
    courier, number = (shipment.courier, shipment.tracking_no) if shipment else ("zto", "73100000000000")
    creds = service.credentials(account)
    form = kuaidi100.query_form(
        courier=courier, tracking_no=number, key=creds["key"], customer=creds["customer"], phone=None
    )
    response = service.request("POST", service.endpoint(account) + kuaidi100.QUERY_PATH, data=form)
    data = kuaidi100.read_query_reply(_json(response.text))
    callback_url(account)
    return "凭证有效" + (f",查询到 {len(data)} 条轨迹" if data else "(该单号暂无轨迹)")


service.register_check(Provider.KUAIDI100, check_connection)
