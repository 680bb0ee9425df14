"""Channel adapters behind one interface. Each domain may register more (bots, SMS, platform IM)."""

import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Protocol
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
from sqlalchemy.orm import Session, object_session

from aftersales.config import get_settings
from aftersales.messaging.models import OutboxMessage


class DeliveryError(Exception):
    """The channel refused or could not be reached; the outbox will retry."""


class Channel(Protocol):
    def send(self, message: OutboxMessage) -> None: ...


_channels: dict[str, Channel] = {}


def register_channel(name: str, channel: Channel) -> None:
    _channels[name] = channel


def get_channel(name: str) -> Channel:
    try:
        return _channels[name]
    except KeyError:
        raise DeliveryError(f"no adapter for channel {name!r}") from None


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """``t=<unix>,v1=<hex hmac-sha256 of "t.body">``, the shape Stripe-style receivers expect."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def post_json(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    try:
        response = httpx.post(
            url,
            content=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=get_settings().webhook_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code >= 300:
        raise DeliveryError(f"HTTP {response.status_code}: {response.text[:300]}")
    return response


# A secret owner (e.g. a ticket group's bot) -> its signing secret, looked up at delivery time.
SecretLookup = Callable[[Session, int], str | None]
_secret_lookups: dict[str, SecretLookup] = {}


def register_secret_lookup(kind: str, lookup: SecretLookup) -> None:
    _secret_lookups[kind] = lookup


def signed_by(url: str, kind: str, owner_id: int) -> str:
    """``url#signer=<kind>:<id>``: the outbox row names whose secret signs, never the secret."""
    return f"{url}#{urlencode({'signer': f'{kind}:{owner_id}'})}"


def _url_and_secret(message: OutboxMessage) -> tuple[str, str]:
    """The URL to post and the secret to sign with: the named owner's, else the global one."""
    parts = urlsplit(message.destination)
    signer = parse_qs(parts.fragment).get("signer", [None])[0]
    if signer is None:
        return message.destination, get_settings().secret_key
    kind, _, owner_id = signer.partition(":")
    session = object_session(message)
    lookup = _secret_lookups.get(kind)
    secret = lookup(session, int(owner_id)) if lookup and session and owner_id.isdigit() else None
    if not secret:
        raise DeliveryError(f"no signing secret for {signer}")
    return urlunsplit(parts._replace(fragment="")), secret


class SignedWebhook:
    """Generic JSON webhook, HMAC-signed (with its owner's secret or the global one), carrying the
    idempotency key."""

    def send(self, message: OutboxMessage) -> None:
        url, secret = _url_and_secret(message)
        body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
        headers = {
            "X-Aftersales-Signature": sign(body, secret, int(time.time())),
            "Idempotency-Key": message.idempotency_key,
        }
        post_json(url, body, headers)


register_channel("webhook", SignedWebhook())
