"""Inbound webhooks (platforms, couriers, ERP): HMAC-SHA256 signature, timestamp window, replays.

A sender signs ``"<unix time>." + body`` with its source's secret and sends
``X-Aftersales-Signature: t=<unix time>,v1=<hex digest>`` (the same shape our own outbound
webhooks use, see ``messaging.channels.sign``). We accept a request only when

1. the header parses and one ``v1`` digest matches (constant-time comparison),
2. its timestamp is within ``TOLERANCE`` of our clock (an old captured request is refused), and
3. that signature was never accepted before for this source (stored in ``webhook_receipts`` by a
   unique constraint, so two concurrent replays cannot both win).

Each source has its own secret, derived from ``AFTERSALES_SECRET_KEY`` so that nothing else has
to be configured; ``aftersales webhooks secret SOURCE`` prints it for the sender's setup.
"""

import hashlib
import hmac
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import delete
from sqlalchemy.orm import Session

from aftersales.audit.models import WebhookReceipt
from aftersales.auth.deps import SessionDep
from aftersales.config import get_settings
from aftersales.kit.errors import ConflictError, InvalidInputError, NotAuthenticatedError
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import conflict_insert

SIGNATURE_HEADER = "X-Aftersales-Signature"
TOLERANCE = timedelta(minutes=5)
SOURCE_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")


class WebhookSignatureError(NotAuthenticatedError):
    """Missing, malformed or wrong signature, or a timestamp outside the window."""


class WebhookReplayError(ConflictError):
    """This exact signed request was accepted before."""


def source_secret(source: str) -> str:
    """The per-source secret: HMAC of the source name under the application's secret key."""
    check_source(source)
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"webhook-source:{source}".encode(), hashlib.sha256).hexdigest()


def check_source(source: str) -> str:
    if not SOURCE_PATTERN.match(source):
        raise InvalidInputError("source", "来源名称只能是小写字母、数字、-、_(2–32 位,字母开头)")
    return source


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """What a sender puts in ``X-Aftersales-Signature``; used by tests and by our own clients."""
    return f"t={timestamp},v1={_digest(body, secret, timestamp)}"


def _digest(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def parse_header(header: str | None) -> tuple[int, list[str]]:
    """``t=…,v1=…[,v1=…]`` -> (timestamp, candidate digests); several v1 allow secret rotation."""
    if not header:
        raise WebhookSignatureError(f"缺少签名请求头 {SIGNATURE_HEADER}")
    timestamp: int | None = None
    digests: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and re.fullmatch(r"[0-9a-f]{64}", value):
            digests.append(value)
    if timestamp is None or not digests:
        raise WebhookSignatureError("签名格式错误,应为 t=<时间戳>,v1=<HMAC-SHA256>")
    return timestamp, digests


def verify(
    session: Session,
    *,
    source: str,
    body: bytes,
    header: str | None,
    secret: str | None = None,
    now: datetime | None = None,
) -> None:
    """Accept the request once or raise; the receipt is written in the caller's transaction."""
    now = now or utcnow()
    timestamp, digests = parse_header(header)
    signed_at = datetime.fromtimestamp(timestamp, tz=UTC)
    if abs(now - signed_at) > TOLERANCE:
        raise WebhookSignatureError("签名时间戳已过期或超前(允许误差 5 分钟),请检查发送方时钟")
    expected = _digest(body, secret or source_secret(source), timestamp)
    if not any(hmac.compare_digest(expected, digest) for digest in digests):
        raise WebhookSignatureError("签名校验失败")
    if not record_receipt(session, source=source, signature=expected, signed_at=signed_at, now=now):
        raise WebhookReplayError("重复的请求(重放)已拒绝:该签名已被接收过")


def record_receipt(
    session: Session, *, source: str, signature: str, signed_at: datetime, now: datetime
) -> bool:
    """True when this signature is new; the unique constraint decides between concurrent replays."""
    statement = (
        conflict_insert(session, WebhookReceipt)
        .values(source=source, signature=signature, signed_at=signed_at, received_at=now)
        .on_conflict_do_nothing(index_elements=["source", "signature"])
    )
    return session.execute(statement.returning(WebhookReceipt.id)).first() is not None


def purge_receipts(session: Session, *, now: datetime | None = None) -> int:
    """Forget receipts old enough that the timestamp check alone refuses their replays."""
    cutoff = (now or utcnow()) - 2 * TOLERANCE
    result = session.execute(delete(WebhookReceipt).where(WebhookReceipt.received_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def signed_body(source_param: str = "source") -> Callable[..., bytes]:
    """FastAPI dependency: the raw body of a request verified for the source named in the path.

    The receipt joins the request's unit of work: if handling fails, it rolls back with
    everything else and the sender's retry (same signature) is accepted. Verification is a sync
    dependency so its queries run in the thread pool, not on the event loop. Routes using it are
    public (no bearer token) but authenticated by signature; the security test recognises them
    by the ``webhook_source_param`` attribute.
    """

    def dependency(
        request: Request, session: SessionDep, body: Annotated[bytes, Depends(_raw_body)]
    ) -> bytes:
        source = check_source(str(request.path_params.get(source_param, source_param)))
        verify(session, source=source, body=body, header=request.headers.get(SIGNATURE_HEADER))
        return body

    dependency.webhook_source_param = source_param  # type: ignore[attr-defined]
    return dependency
