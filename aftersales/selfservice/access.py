"""How a customer gets into the portal without a password.

Two ways in, both ending in the same signed session cookie bound to one order:

* a signed link (``/portal/l/<token>``) sent in a message: itsdangerous with the application secret,
  salted per purpose, carrying only the order id, refused after ``link_ttl_hours``;
* order number + phone number, then a six-digit one-time code sent through the outbox. Codes are
  throttled (one per ``code_resend_seconds``, ``codes_per_hour`` an hour); too many wrong phones
  or codes lock that order number out for ``lockout_minutes`` *for the client that made them*
  (its address), so someone who only knows an order number cannot lock its customer out; a code
  that has taken ``max_failures`` wrong guesses from anywhere is spent.

Failures are written before the error is raised; the caller must commit them (the portal does),
otherwise a brute-force attempt would leave no trace.
"""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.config import get_settings
from aftersales.kit.time import format_local, utcnow
from aftersales.messaging.service import queue_message
from aftersales.orders.models import Customer, Order
from aftersales.selfservice.errors import (
    CodeThrottledError,
    PortalLinkInvalidError,
    PortalLockedError,
    PortalLoginError,
)
from aftersales.selfservice.models import PortalCode, PortalLockout
from aftersales.selfservice.settings import get_selfservice_settings
from aftersales.web.csrf import PORTAL_COOKIE

LINK_SALT = "selfservice.portal-link"
SESSION_SALT = "selfservice.portal-session"
SURVEY_SALT = "selfservice.survey"
SESSION_COOKIE = PORTAL_COOKIE
MISMATCH = "订单号与手机号不匹配,或验证码错误"


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=salt)


def sign_link(order_id: int) -> str:
    """A token for ``/portal/l/<token>``; it proves nothing but the order id and its age."""
    return _serializer(LINK_SALT).dumps({"o": order_id})


def portal_path(order_id: int) -> str:
    return f"/portal/l/{sign_link(order_id)}"


def _load(token: str, salt: str, max_age_hours: int, key: str = "o", expired: str | None = None) -> int:
    try:
        data = _serializer(salt).loads(token, max_age=max_age_hours * 3600)
    except SignatureExpired:
        raise PortalLinkInvalidError(expired or "链接已过期,请用订单号和手机号重新进入") from None
    except BadSignature:
        raise PortalLinkInvalidError() from None
    if not isinstance(data, dict) or not isinstance(data.get(key), int):
        raise PortalLinkInvalidError()
    return int(data[key])


def read_link(token: str) -> int:
    return _load(token, LINK_SALT, get_selfservice_settings().link_ttl_hours)


def sign_survey(invitation_id: int) -> str:
    """The token of ``/portal/s/<token>``: it opens one survey invitation and nothing else, so a
    chat or ticket without an order can be surveyed too."""
    return _serializer(SURVEY_SALT).dumps({"s": invitation_id})


def read_survey(token: str) -> int:
    hours = get_selfservice_settings().survey_ttl_days * 24
    return _load(token, SURVEY_SALT, hours, key="s", expired="问卷链接已过期,感谢您的关注")


def issue_session(order_id: int) -> str:
    return _serializer(SESSION_SALT).dumps({"o": order_id})


def read_session(raw: str | None) -> int:
    if not raw:
        raise PortalLinkInvalidError("请先通过短信链接或订单号+手机号进入")
    return _load(raw, SESSION_SALT, get_selfservice_settings().session_ttl_hours)


def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")


def _code_hash(order_id: int, code: str) -> str:
    message = f"{order_id}:{code}".encode()
    return hmac.new(get_settings().secret_key.encode(), message, hashlib.sha256).hexdigest()


def _orders_with_number(session: Session, order_no: str) -> list[tuple[Order, str | None]]:
    query = (
        select(Order, Customer.phone)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.source_id == order_no.strip())
    )
    return [(order, phone) for order, phone in session.execute(query)]


def _lockout(session: Session, order_id: int, client: str) -> PortalLockout:
    lockout = session.get(PortalLockout, (order_id, client))
    if lockout is None:
        lockout = PortalLockout(order_id=order_id, client=client, failures=0, window_started_at=utcnow())
        session.add(lockout)
    return lockout


def _ensure_not_locked(session: Session, order_id: int, client: str, now: datetime) -> None:
    lockout = session.get(PortalLockout, (order_id, client))
    if lockout is not None and lockout.locked_until is not None and lockout.locked_until > now:
        until = format_local(lockout.locked_until, "%H:%M")
        raise PortalLockedError(f"尝试次数过多,该订单已锁定至 {until},请稍后再试或联系客服")


def _record_failure(session: Session, order_id: int, client: str, now: datetime) -> None:
    """Count a wrong phone or code; the window restarts after a lock-out period without failures."""
    settings = get_selfservice_settings()
    lockout = _lockout(session, order_id, client)
    if now - lockout.window_started_at > timedelta(minutes=settings.lockout_minutes):
        lockout.failures = 0
        lockout.window_started_at = now
    lockout.failures += 1
    if lockout.failures >= settings.max_failures:
        lockout.locked_until = now + timedelta(minutes=settings.lockout_minutes)
        lockout.failures = 0
        lockout.window_started_at = now
    session.flush()


def _match_order(session: Session, order_no: str, phone: str, client: str, now: datetime) -> Order:
    """The order with this number whose receiver or buyer phone is ``phone``; failures are counted."""
    candidates = _orders_with_number(session, order_no)
    for order, _ in candidates:
        _ensure_not_locked(session, order.id, client, now)
    wanted = _digits(phone)
    for order, buyer_phone in candidates:
        if wanted and wanted in (_digits(order.receiver_phone), _digits(buyer_phone)):
            return order
    for order, _ in candidates:
        _record_failure(session, order.id, client, now)
    raise PortalLoginError(MISMATCH)


def _throttle(session: Session, order_id: int, now: datetime) -> None:
    settings = get_selfservice_settings()
    last_sent, sent_last_hour = session.execute(
        select(func.max(PortalCode.sent_at), func.count(PortalCode.id)).where(
            PortalCode.order_id == order_id, PortalCode.sent_at > now - timedelta(hours=1)
        )
    ).one()
    if last_sent is not None:
        wait = settings.code_resend_seconds - int((now - last_sent).total_seconds())
        if wait > 0:
            raise CodeThrottledError(f"验证码已发送,请 {wait} 秒后再重新获取")
    if sent_last_hour >= settings.codes_per_hour:
        raise CodeThrottledError("获取验证码过于频繁,请一小时后再试")


def request_code(session: Session, *, order_no: str, phone: str, client: str = "") -> PortalCode:
    """Send a one-time code to ``phone`` when it belongs to the order; queued in the outbox.
    ``client`` is the caller's address: lock-outs apply to it alone."""
    settings = get_selfservice_settings()
    now = utcnow()
    order = _match_order(session, order_no, phone, client, now)
    _throttle(session, order.id, now)
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = PortalCode(
        order_id=order.id,
        code_hash=_code_hash(order.id, code),
        sent_at=now,
        expires_at=now + timedelta(minutes=settings.code_ttl_minutes),
        failed_attempts=0,
    )
    session.add(row)
    session.flush()
    text = f"【售后自助】验证码 {code},{settings.code_ttl_minutes} 分钟内有效。如非本人操作请忽略。"
    queue_message(
        session,
        channel=settings.otp_channel,
        destination=_digits(phone),
        payload={"text": text, "order_id": order.id, "kind": "portal_code"},
        idempotency_key=f"selfservice:portal-code:{row.id}",
        subject=("order", order.id),
    )
    return row


def verify_code(session: Session, *, order_no: str, phone: str, code: str, client: str = "") -> int:
    """The order id when the latest live code matches; a wrong code counts towards the lock-out."""
    now = utcnow()
    order = _match_order(session, order_no, phone, client, now)
    row = session.scalars(
        select(PortalCode)
        .where(PortalCode.order_id == order.id, PortalCode.consumed_at.is_(None), PortalCode.expires_at > now)
        .order_by(PortalCode.sent_at.desc(), PortalCode.id.desc())
        .limit(1)
    ).first()
    if row is None:
        raise PortalLoginError("验证码已失效,请重新获取")
    if not hmac.compare_digest(row.code_hash, _code_hash(order.id, code.strip())):
        row.failed_attempts += 1
        if row.failed_attempts >= get_selfservice_settings().max_failures:
            row.consumed_at = now  # guessed at from many addresses: this code is spent
        _record_failure(session, order.id, client, now)
        _ensure_not_locked(session, order.id, client, now)
        raise PortalLoginError(MISMATCH)
    row.consumed_at = now
    lockout = session.get(PortalLockout, (order.id, client))
    if lockout is not None:
        lockout.failures = 0
    session.flush()
    return order.id
