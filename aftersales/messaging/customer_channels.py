"""Customer channels behind the one ``Channel`` interface: platform IM, SMS and email.

Platform IM and SMS talk to outside providers (千牛/京麦/飞鸽 open platforms, SMS gateways), so
each is an adapter over a small provider interface. The local implementations record what they
would have sent to a JSON-lines file (one per channel) instead of calling a provider: the demo and
the tests see exactly what a customer would have received, and a real provider plugs in with
``register_channel("sms", SmsChannel(MyGateway()))``. Email goes out over SMTP with the standard
library. Every one of them is called only by the outbox delivery job, never inside a request.

Payload shape for all customer channels: ``{"text": str, "subject": str | None, ...}``.
"""

import json
import smtplib
import tempfile
import threading
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any, Protocol, TextIO

from aftersales.config import get_settings
from aftersales.kit.time import utcnow
from aftersales.messaging.channels import DeliveryError, register_channel
from aftersales.messaging.models import OutboxMessage

SMS_MAX_CHARS = 500


class OutboundRecorder:
    """Append-only JSON-lines log of sends, one file per channel; a repeated key is not re-recorded.

    The provider-side idempotency a real gateway offers: a redelivery after a crash (same
    idempotency key) does not reach the customer twice.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._seen: dict[str, set[str]] = {}
        self._files: dict[str, TextIO] = {}
        self._lock = threading.Lock()

    def path(self, channel: str) -> Path:
        return self.directory / f"{channel}.jsonl"

    def records(self, channel: str) -> list[dict[str, Any]]:
        path = self.path(channel)
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def record(self, channel: str, *, destination: str, text: str, key: str, **extra: Any) -> bool:
        """Store one send; returns False when the key was already recorded (a duplicate). The
        file stays open between sends (flushed after each line): opening it per message capped a
        backlog's drain at a few thousand a second."""
        with self._lock:
            seen = self._seen.get(channel)
            if seen is None:
                seen = self._seen[channel] = {r["idempotency_key"] for r in self.records(channel)}
            if key in seen:
                return False
            entry = {
                "at": utcnow().isoformat(),
                "destination": destination,
                "text": text,
                "idempotency_key": key,
                **extra,
            }
            handle = self._file(channel)
            handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
            handle.flush()
            seen.add(key)
            return True

    def _file(self, channel: str) -> TextIO:
        handle = self._files.get(channel)
        if handle is None:
            self.directory.mkdir(parents=True, exist_ok=True)
            handle = self._files[channel] = self.path(channel).open("a", encoding="utf-8")
        return handle


def _default_record_dir() -> Path:
    configured = get_settings().outbound_record_dir
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "aftersales-outbound"


_recorder = OutboundRecorder(_default_record_dir())


def recorder() -> OutboundRecorder:
    return _recorder


def use_recorder(directory: Path) -> OutboundRecorder:
    """Point the local providers at another directory (tests, ``make demo``)."""
    global _recorder
    _recorder = OutboundRecorder(directory)
    return _recorder


def _text(message: OutboxMessage) -> str:
    text = message.payload.get("text")
    if not isinstance(text, str) or not text:
        raise DeliveryError("payload has no text")
    return text


# --- platform IM -------------------------------------------------------------------------------


class PlatformImClient(Protocol):
    """A platform's open API for messaging a buyer (千牛 / 京麦 / 抖店飞鸽 / 拼多多商家后台)."""

    def send_im(self, *, platform: str, shop_code: str, buyer: str, text: str, key: str) -> None: ...


class RecordedImClient:
    """Records the message instead of calling a platform."""

    def send_im(self, *, platform: str, shop_code: str, buyer: str, text: str, key: str) -> None:
        recorder().record(
            "platform_im",
            destination=f"{platform}:{shop_code}:{buyer}",
            text=text,
            key=key,
            platform=platform,
        )


def im_destination(platform: str, shop_code: str, buyer: str) -> str:
    return f"{platform}:{shop_code}:{buyer}"


class PlatformImChannel:
    """Destination ``<platform>:<shop code>:<buyer account>``."""

    def __init__(self, client: PlatformImClient) -> None:
        self.client = client

    def send(self, message: OutboxMessage) -> None:
        parts = message.destination.split(":", 2)
        if len(parts) != 3 or not all(parts):
            raise DeliveryError(f"bad platform IM destination {message.destination!r}")
        platform, shop_code, buyer = parts
        self.client.send_im(
            platform=platform,
            shop_code=shop_code,
            buyer=buyer,
            text=_text(message),
            key=message.idempotency_key,
        )


# --- SMS ---------------------------------------------------------------------------------------


class SmsProvider(Protocol):
    """An SMS gateway (阿里云短信, 腾讯云短信…); raises ``DeliveryError`` when it refuses."""

    def send_sms(self, *, phone: str, text: str, key: str) -> None: ...


class RecordedSmsProvider:
    def send_sms(self, *, phone: str, text: str, key: str) -> None:
        recorder().record("sms", destination=phone, text=text, key=key)


class SmsChannel:
    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    def send(self, message: OutboxMessage) -> None:
        phone = "".join(ch for ch in message.destination if ch.isdigit())
        if len(phone) < 7:
            raise DeliveryError(f"bad phone number {message.destination!r}")
        text = _text(message)
        if len(text) > SMS_MAX_CHARS:
            raise DeliveryError(f"SMS longer than {SMS_MAX_CHARS} characters")
        self.provider.send_sms(phone=phone, text=text, key=message.idempotency_key)


# --- email -------------------------------------------------------------------------------------


class SmtpEmailChannel:
    """Plain-text email over SMTP (``smtplib``); the idempotency key travels as a header.

    Server settings (``AFTERSALES_SMTP_*``) are read at send time, so one registered instance
    follows configuration changes.
    """

    def build(self, message: OutboxMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = get_settings().smtp_sender
        email["To"] = message.destination
        email["Subject"] = message.payload.get("subject") or "订单消息"
        email["Message-ID"] = make_msgid(domain="aftersales")
        email["Idempotency-Key"] = message.idempotency_key
        email.set_content(_text(message))
        return email

    def send(self, message: OutboxMessage) -> None:
        if "@" not in message.destination:
            raise DeliveryError(f"bad email address {message.destination!r}")
        email = self.build(message)
        settings = get_settings()
        host, port = settings.smtp_host, settings.smtp_port
        try:
            with smtplib.SMTP(host, port, timeout=settings.webhook_timeout_seconds) as smtp:
                if settings.smtp_starttls:
                    smtp.starttls()
                if settings.smtp_username:
                    smtp.login(settings.smtp_username, settings.smtp_password or "")
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP {host}:{port}: {type(exc).__name__}: {exc}") from exc


email_channel = SmtpEmailChannel()
register_channel("platform_im", PlatformImChannel(RecordedImClient()))
register_channel("sms", SmsChannel(RecordedSmsProvider()))
register_channel("email", email_channel)
