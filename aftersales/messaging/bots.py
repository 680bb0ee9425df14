"""Group chat robots: WeCom (企业微信) group robot, DingTalk (钉钉) custom robot, Feishu (飞书) bot.

Payloads follow each platform's documented custom-robot JSON:

- WeCom: ``{"msgtype": "text", "text": {"content": ..., "mentioned_mobile_list": [...]}}`` posted
  to ``https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=...``; no signature.
- DingTalk: ``{"msgtype": "text", "text": {"content": ...}, "at": {"atMobiles": [...],
  "isAtAll": false}}``; with 加签 the URL gets ``&timestamp=<ms>&sign=<urlencoded base64
  HMAC-SHA256(secret, "<timestamp>\\n<secret>")>``.
- Feishu: ``{"msg_type": "text", "content": {"text": ...}}``; with 签名校验 the body also carries
  ``"timestamp": "<seconds>"`` and ``"sign": base64(HMAC-SHA256(key="<timestamp>\\n<secret>", msg=""))``.

The signing secret travels in the outbox destination's URL fragment (``...#secret=...``): a
fragment is never sent over HTTP, and signing happens at delivery time because DingTalk and
Feishu reject timestamps older than about an hour, which a retried message would have.
A reply with a non-zero ``errcode`` / ``code`` / ``StatusCode`` is a failed delivery (retried).
"""

import base64
import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit, urlunsplit

from aftersales.messaging.channels import DeliveryError, post_json, register_channel
from aftersales.messaging.models import OutboxMessage

BOT_CHANNELS = ("wecom", "dingtalk", "feishu")


def split_secret(destination: str) -> tuple[str, str | None]:
    """``url#secret=...`` to the URL that is posted and the signing secret."""
    parts = urlsplit(destination)
    secret = parse_qs(parts.fragment).get("secret", [None])[0]
    return urlunsplit(parts._replace(fragment="")), secret


def with_secret(url: str, secret: str | None) -> str:
    return f"{url}#{urlencode({'secret': secret})}" if secret else url


def text_payload(channel: str, text: str, *, mobiles: list[str] | None = None) -> dict[str, Any]:
    """The documented text message of each robot, mentioning the given mobiles where supported."""
    mobiles = mobiles or []
    if channel == "wecom":
        return {"msgtype": "text", "text": {"content": text, "mentioned_mobile_list": mobiles}}
    if channel == "dingtalk":
        return {"msgtype": "text", "text": {"content": text}, "at": {"atMobiles": mobiles, "isAtAll": False}}
    if channel == "feishu":
        return {"msg_type": "text", "content": {"text": text}}
    raise ValueError(f"unknown bot channel {channel!r}")


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """URL-encoded base64 HMAC-SHA256 of ``"<timestamp>\\n<secret>"`` keyed by the secret."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest).decode())


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Base64 HMAC-SHA256 keyed by ``"<timestamp>\\n<secret>"`` over an empty message."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def check_reply(text: str) -> None:
    """The robots answer HTTP 200 even when they refuse; the JSON code tells."""
    try:
        reply = json.loads(text or "{}")
    except ValueError:
        return
    if not isinstance(reply, dict):
        return
    for key in ("errcode", "code", "StatusCode"):
        if reply.get(key) not in (None, 0):
            raise DeliveryError(
                f"robot refused: {key}={reply.get(key)} {reply.get('errmsg') or reply.get('msg')}"
            )


class WeComBot:
    def send(self, message: OutboxMessage) -> None:
        url, _ = split_secret(message.destination)
        check_reply(post_json(url, _body(message.payload), {}).text)


class DingTalkBot:
    def send(self, message: OutboxMessage) -> None:
        url, secret = split_secret(message.destination)
        if secret:
            timestamp = int(time.time() * 1000)
            separator = "&" if "?" in url else "?"
            url = f"{url}{separator}timestamp={timestamp}&sign={dingtalk_sign(secret, timestamp)}"
        check_reply(post_json(url, _body(message.payload), {}).text)


class FeishuBot:
    def send(self, message: OutboxMessage) -> None:
        url, secret = split_secret(message.destination)
        payload = dict(message.payload)
        if secret:
            timestamp = int(time.time())
            payload = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **payload}
        check_reply(post_json(url, _body(payload), {}).text)


register_channel("wecom", WeComBot())
register_channel("dingtalk", DingTalkBot())
register_channel("feishu", FeishuBot())
