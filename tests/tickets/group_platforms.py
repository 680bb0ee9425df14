"""The platform side of the group callbacks, as each document describes it: how Feishu, DingTalk
and WeCom encrypt and sign what they post, so tests send exactly such requests."""

import base64
import hashlib
import hmac
import json
import os
import struct
import time
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

FEISHU_TOKEN = "v-token-123"
FEISHU_KEY = "encrypt-key-abc"
DINGTALK_SECRET = "ding-app-secret"
WECOM_TOKEN = "QDG6eK"
WECOM_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
WECOM_CORP = "wx5823bf96d3bd56c7"


def _cbc(key: bytes, iv: bytes, plain: bytes, block_bits: int) -> bytes:
    padder = padding.PKCS7(block_bits).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()


def feishu_event(
    text: str, *, message_id: str = "om_1", parent_id: str | None = None, token: str = FEISHU_TOKEN
) -> dict[str, Any]:
    """An ``im.message.receive_v1`` event of schema 2.0 carrying a text message."""
    return {
        "schema": "2.0",
        "header": {"event_id": f"ev-{message_id}", "event_type": "im.message.receive_v1", "token": token},
        "event": {
            "sender": {"sender_id": {"open_id": "ou_courier"}, "sender_type": "user"},
            "message": {
                "message_id": message_id,
                "parent_id": parent_id,
                "root_id": parent_id,
                "chat_id": "oc_group",
                "message_type": "text",
                "content": json.dumps({"text": text}, ensure_ascii=False),
            },
        },
    }


def feishu_request(
    document: dict[str, Any], *, key: str = FEISHU_KEY, signed: bool = True, timestamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    """The encrypted body and the X-Lark headers (signature over timestamp + nonce + key + body)."""
    iv = os.urandom(16)
    encrypted = iv + _cbc(hashlib.sha256(key.encode()).digest(), iv, json.dumps(document).encode(), 128)
    body = json.dumps({"encrypt": base64.b64encode(encrypted).decode()}).encode()
    if not signed:
        return body, {"Content-Type": "application/json"}
    stamp, nonce = str(timestamp or int(time.time())), "nonce-1"
    signature = hashlib.sha256((stamp + nonce + key).encode() + body).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Lark-Request-Timestamp": stamp,
        "X-Lark-Request-Nonce": nonce,
        "X-Lark-Signature": signature,
    }
    return body, headers


def dingtalk_request(
    text: str, *, msg_id: str = "msg1", secret: str = DINGTALK_SECRET, timestamp_ms: int | None = None
) -> tuple[bytes, dict[str, str]]:
    stamp = str(timestamp_ms or int(time.time() * 1000))
    sign = base64.b64encode(
        hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    body = {
        "msgtype": "text",
        "text": {"content": text},
        "msgId": msg_id,
        "senderNick": "仓库小王",
        "senderStaffId": "staff1",
        "conversationId": "cid-group",
        "conversationType": "2",
        "createAt": int(stamp),
    }
    return json.dumps(body, ensure_ascii=False).encode(), {
        "Content-Type": "application/json",
        "timestamp": stamp,
        "sign": sign,
    }


def wecom_encrypt(plain: str, *, corp_id: str = WECOM_CORP, aes_key: str = WECOM_AES_KEY) -> str:
    key = base64.b64decode(aes_key + "=")
    message = plain.encode()
    data = os.urandom(16) + struct.pack(">I", len(message)) + message + corp_id.encode()
    return base64.b64encode(_cbc(key, key[:16], data, 256)).decode()


def wecom_query(encrypted: str, *, token: str = WECOM_TOKEN, timestamp: int | None = None) -> dict[str, str]:
    stamp, nonce = str(timestamp or int(time.time())), "1372623149"
    signature = hashlib.sha1("".join(sorted([token, stamp, nonce, encrypted])).encode()).hexdigest()
    return {"msg_signature": signature, "timestamp": stamp, "nonce": nonce}


def wecom_message(
    text: str, *, msg_id: str = "1234567890123456", corp_id: str = WECOM_CORP
) -> tuple[bytes, dict[str, str]]:
    """The encrypted XML POST body and its query, for a text message sent to the app."""
    inner = (
        f"<xml><ToUserName><![CDATA[{WECOM_CORP}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{text}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1</AgentID></xml>"
    )
    encrypted = wecom_encrypt(inner, corp_id=corp_id)
    body = (
        f"<xml><ToUserName><![CDATA[{WECOM_CORP}]]></ToUserName><AgentID><![CDATA[1]]></AgentID>"
        f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
    )
    return body.encode(), wecom_query(encrypted)
