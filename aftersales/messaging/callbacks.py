"""Group messages coming back through each platform's documented callback: verified, decrypted,
and reduced to one ``Inbound`` shape.

Documents followed:

- Feishu 接收事件 (open.feishu.cn/document/ukTMukTMukTM/uYDNxYjL2QTM24iN0EjN/
  event-subscription-configure-/encrypt-key-encryption-configuration-case) and 接收消息
  ``im.message.receive_v1``: with an Encrypt Key the body is ``{"encrypt": base64(iv[16] +
  AES-256-CBC(key = SHA-256(encrypt_key), PKCS#7)(event JSON))}`` and the request carries
  ``X-Lark-Signature = hex SHA-256(X-Lark-Request-Timestamp + X-Lark-Request-Nonce + encrypt_key
  + raw body)``; the decrypted event's token (``header.token``, or ``token`` of a
  ``url_verification``) must equal the Verification Token. The handshake answers ``{"challenge"}``.
  A message event gives ``event.message`` (``message_id``, ``root_id``/``parent_id`` of the
  thread it answers, ``chat_id``, ``content`` = JSON ``{"text": …}``) and ``event.sender``.
- DingTalk 机器人接收消息 (open.dingtalk.com/document/orgapp/receive-message): headers
  ``timestamp`` (ms) and ``sign = base64(HMAC-SHA256(appSecret, timestamp + "\\n" + appSecret))``,
  the timestamp within an hour of now; the JSON body has ``msgId``, ``text.content``,
  ``senderNick``, ``conversationId``.
- WeCom 接收消息与事件 and 加解密方案说明 (developer.work.weixin.qq.com/document/path/90930 and
  /91144): query ``msg_signature``, ``timestamp``, ``nonce``; ``msg_signature = SHA-1 of the
  sorted, concatenated token, timestamp, nonce and Encrypt``; ``AESKey = base64(EncodingAESKey +
  "=")``, AES-256-CBC with IV = AESKey[:16] and PKCS#7 padding to 32 bytes; the plaintext is
  random(16) + msg_len (4 bytes, network order) + msg + ReceiveId (the corp id, checked). The URL
  check (GET with ``echostr``) answers the decrypted echostr; a message is XML with
  ``FromUserName``, ``Content``, ``MsgId``, ``MsgType``.

Every check compares in constant time; a timestamp further than ``TOLERANCE`` from our clock is
refused, so a captured request cannot be replayed later (the caller also keeps each accepted
signature, refusing an exact replay within the window).
"""

import base64
import hashlib
import hmac
import json
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TOLERANCE = timedelta(hours=1)


class CallbackRejected(Exception):
    """The request is not what the platform would send (signature, token, time or cipher)."""


@dataclass(frozen=True)
class Inbound:
    platform: str
    message_id: str
    sender: str
    text: str
    chat_id: str | None = None
    thread_id: str | None = None


@dataclass(frozen=True)
class Verified:
    """What a callback asked for: a handshake answer, a message, or nothing to record."""

    signature: str
    challenge: str | None = None
    message: Inbound | None = None


def _within(timestamp_s: float, now: datetime) -> None:
    if abs(now.timestamp() - timestamp_s) > TOLERANCE.total_seconds():
        raise CallbackRejected("timestamp outside the accepted window")


def _aes_cbc_decrypt(key: bytes, iv: bytes, data: bytes, block_bits: int) -> bytes:
    if not data or len(data) % 16:
        raise CallbackRejected("ciphertext is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = padding.PKCS7(block_bits).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise CallbackRejected("bad padding: wrong key") from None


def _b64(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except ValueError:
        raise CallbackRejected("not base64") from None


# ---- Feishu -----------------------------------------------------------------------------------


def feishu_signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()


def feishu_decrypt(encrypt_key: str, encrypted: str) -> bytes:
    raw = _b64(encrypted)
    key = hashlib.sha256(encrypt_key.encode()).digest()
    return _aes_cbc_decrypt(key, raw[:16], raw[16:], 128)


def verify_feishu(
    *, headers: dict[str, str], body: bytes, encrypt_key: str | None, token: str | None, now: datetime
) -> Verified:
    """Signature (when an Encrypt Key is set), decryption, then the Verification Token."""
    signature = headers.get("x-lark-signature", "")
    document = _json_object(body)
    if encrypt_key:
        if signature:  # every event is signed; only the URL handshake comes unsigned
            timestamp, nonce = (
                headers.get("x-lark-request-timestamp", ""),
                headers.get("x-lark-request-nonce", ""),
            )
            if not hmac.compare_digest(feishu_signature(timestamp, nonce, encrypt_key, body), signature):
                raise CallbackRejected("X-Lark-Signature does not match")
            _within(_number(timestamp), now)
        document = _json_object(feishu_decrypt(encrypt_key, str(document.get("encrypt", ""))))
        if not signature and document.get("type") != "url_verification":
            raise CallbackRejected("an event without X-Lark-Signature")
    event_token = (document.get("header") or {}).get("token") or document.get("token")
    if not token or not hmac.compare_digest(str(event_token or ""), token):
        raise CallbackRejected("verification token does not match")
    if document.get("type") == "url_verification":
        return Verified(signature=signature, challenge=str(document.get("challenge", "")))
    return Verified(signature=signature or _event_id(document), message=_feishu_message(document))


def _event_id(document: dict[str, Any]) -> str:
    return str((document.get("header") or {}).get("event_id", ""))


def _feishu_message(document: dict[str, Any]) -> Inbound | None:
    header, event = document.get("header") or {}, document.get("event") or {}
    message = event.get("message") or {}
    if header.get("event_type") != "im.message.receive_v1" or message.get("message_type") != "text":
        return None
    content = _json_object(str(message.get("content", "{}")).encode())
    sender = ((event.get("sender") or {}).get("sender_id") or {}).get("open_id", "")
    return Inbound(
        platform="feishu",
        message_id=str(message.get("message_id", "")),
        sender=str(sender),
        text=str(content.get("text", "")),
        chat_id=message.get("chat_id"),
        thread_id=message.get("parent_id") or message.get("root_id") or None,
    )


# ---- DingTalk ---------------------------------------------------------------------------------


def dingtalk_signature(app_secret: str, timestamp_ms: str) -> str:
    digest = hmac.new(app_secret.encode(), f"{timestamp_ms}\n{app_secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def verify_dingtalk(
    *, headers: dict[str, str], body: bytes, app_secret: str | None, now: datetime
) -> Verified:
    timestamp, signature = headers.get("timestamp", ""), headers.get("sign", "")
    if not app_secret or not hmac.compare_digest(dingtalk_signature(app_secret, timestamp), signature):
        raise CallbackRejected("sign does not match")
    _within(_number(timestamp) / 1000, now)
    document = _json_object(body)
    if document.get("msgtype") != "text":
        return Verified(signature=signature)
    message = Inbound(
        platform="dingtalk",
        message_id=str(document.get("msgId", "")),
        sender=str(document.get("senderNick") or document.get("senderStaffId") or ""),
        text=str((document.get("text") or {}).get("content", "")).strip(),
        chat_id=document.get("conversationId"),
    )
    return Verified(signature=signature, message=message)


# ---- WeCom ------------------------------------------------------------------------------------


def wecom_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce, encrypted])).encode()).hexdigest()


def wecom_decrypt(encoding_aes_key: str, encrypted: str, receive_id: str) -> str:
    key = _b64(encoding_aes_key + "=")
    if len(key) != 32:
        raise CallbackRejected("EncodingAESKey is not 43 characters of base64")
    plain = _aes_cbc_decrypt(key, key[:16], _b64(encrypted), 256)
    if len(plain) < 20:
        raise CallbackRejected("plaintext too short")
    (length,) = struct.unpack(">I", plain[16:20])
    message, tail = plain[20 : 20 + length], plain[20 + length :]
    if not hmac.compare_digest(tail, receive_id.encode()):
        raise CallbackRejected("ReceiveId does not match the corp id")
    return message.decode()


@dataclass(frozen=True)
class WeComApp:
    token: str
    encoding_aes_key: str
    corp_id: str


def verify_wecom(*, query: dict[str, str], body: bytes, app: WeComApp | None, now: datetime) -> Verified:
    """URL check (``echostr`` in the query) or an encrypted message (``Encrypt`` in the XML body)."""
    if app is None:
        raise CallbackRejected("no WeCom app configured")
    signature, timestamp, nonce = (query.get(k, "") for k in ("msg_signature", "timestamp", "nonce"))
    echo = query.get("echostr")
    encrypted = echo if echo is not None else _xml(body).get("Encrypt", "")
    if not hmac.compare_digest(wecom_signature(app.token, timestamp, nonce, encrypted), signature):
        raise CallbackRejected("msg_signature does not match")
    _within(_number(timestamp), now)
    plain = wecom_decrypt(app.encoding_aes_key, encrypted, app.corp_id)
    if echo is not None:
        return Verified(signature=signature, challenge=plain)
    fields = _xml(plain.encode())
    if fields.get("MsgType") != "text":
        return Verified(signature=signature)
    message = Inbound(
        platform="wecom",
        message_id=fields.get("MsgId", ""),
        sender=fields.get("FromUserName", ""),
        text=fields.get("Content", "").strip(),
        chat_id=fields.get("ToUserName"),
    )
    return Verified(signature=signature, message=message)


# ---- parsing ----------------------------------------------------------------------------------


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw or b"{}")
    except ValueError:
        raise CallbackRejected("body is not JSON") from None
    if not isinstance(value, dict):
        raise CallbackRejected("body is not a JSON object")
    return value


def _xml(raw: bytes) -> dict[str, str]:
    """The child elements of ``<xml>``; a DOCTYPE (entity expansion) is refused before parsing."""
    if b"<!DOCTYPE" in raw.upper() or b"<!ENTITY" in raw.upper():
        raise CallbackRejected("XML with a DOCTYPE is not accepted")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError:
        raise CallbackRejected("body is not XML") from None
    return {child.tag: (child.text or "") for child in root}


def _number(value: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise CallbackRejected("timestamp is not a number") from None
