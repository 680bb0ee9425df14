"""Channel adapters behind one interface. Each domain may register more (bots, SMS, platform IM)."""

import hashlib
import hmac
import json
import time
from typing import Protocol

import httpx

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


class SignedWebhook:
    """Generic JSON webhook, HMAC-signed with the shop's secret, carrying the idempotency key."""

    def send(self, message: OutboxMessage) -> None:
        body = json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")).encode()
        secret = get_settings().secret_key
        headers = {
            "X-Aftersales-Signature": sign(body, secret, int(time.time())),
            "Idempotency-Key": message.idempotency_key,
        }
        post_json(message.destination, body, headers)


register_channel("webhook", SignedWebhook())
