"""抖店消息推送: the messages 抖店 POSTs when an order or an after-sale of the shop changes.

Built to 抖店开放平台's "消息推送" guide (op.jinritemai.com/docs/guide-docs/153/99) and its message
references (订单消息 /docs/message-docs/30, 售后消息 /docs/message-docs/31), as the official-API
SDKs read them (github.com/minibear2021/doudian ``DouDian.callback``, and
github.com/fudiwei/DotNetCore.SKIT.FlurlHttpClient.ByteDance ``VerifyEventSignature`` with its
``doudian_trade_*`` / ``doudian_refund_*`` event models):

- ``POST`` to the URL configured for the app, ``Content-Type: application/json``, headers
  ``app-id`` (the app key) and ``event-sign``: lower-case hex MD5 of
  ``app_key + the raw body + app_secret``.
- The body is a JSON array of messages ``{"tag", "msg_id", "data"}``; ``data`` is the message's
  JSON (sent as a string). Tag ``0`` is the check 抖店 sends when the URL is configured; tags
  1xx are order messages (100 订单创建, 101 支付, 102 卖家发货 … with ``p_id``, the 店铺单号), 2xx
  after-sale messages (200 买家发起售后 … with ``aftersale_id`` and ``p_id``).
- The answer must be ``{"code": 0, "msg": "success"}`` within a few seconds, otherwise 抖店
  pushes the message again (the same ``msg_id``).

The message carries a summary only (an after-sale's reason arrives as a code), so each order or
after-sale it names is read in full with the platform's targeted query by a job
(``connectors.platform_fetch`` → ``platform_sync.fetch_named``) and stored as the sync stores it:
a refund pushed while its parcel is in transit asks logistics to intercept it exactly as a synced
refund does. Nothing in the push is timestamped, so there is no time window to check; a
``msg_id`` already taken in the last minutes is acknowledged without a second fetch (the webhook
receipts), and a replayed message only makes us read the current state again.
"""

import hmac
import json
from typing import Any

from sqlalchemy.orm import Session

from aftersales.audit.webhooks import record_receipt
from aftersales.connectors import service, signing
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.jobs import enqueue
from aftersales.kit.errors import InvalidInputError, NotAuthenticatedError
from aftersales.kit.time import utcnow

ACCEPTED = {"code": 0, "msg": "success"}
PUSH_PATH = "/api/connectors/douyin/{account_id}/push"
MSG_ID_LIMIT = 64  # the receipts' signature column


class PushSignatureError(NotAuthenticatedError):
    """The push's ``app-id`` is not this account's app or its ``event-sign`` does not match."""


def push_url(account: ConnectorAccount) -> str | None:
    """The address to enter as the app's 消息推送 URL; None until ``callback_base`` is set."""
    base = str(account.settings.get("callback_base") or "").rstrip("/")
    return base + PUSH_PATH.format(account_id=account.id) if base else None


def event_sign(*, app_key: str, body: bytes, secret: str) -> str:
    return signing.md5_hex(f"{app_key}{body.decode()}{secret}")


def verified_account(
    session: Session, *, account_id: int, app_id: str, sign: str, body: bytes
) -> ConnectorAccount:
    account = session.get(ConnectorAccount, account_id)
    if account is None or account.provider != Provider.DOUYIN or not account.enabled:
        raise PushSignatureError("抖店推送地址无效")
    creds = service.credentials(account)
    try:
        expected = event_sign(app_key=creds["app_key"], body=body, secret=creds["app_secret"])
    except UnicodeDecodeError:
        raise PushSignatureError("抖店推送正文不是 UTF-8") from None
    if app_id != creds["app_key"] or not hmac.compare_digest(expected, sign.lower()):
        service.record_failure(account, "抖店推送签名校验失败")
        raise PushSignatureError("抖店推送签名校验失败")
    return account


def _messages(body: bytes) -> list[dict[str, Any]]:
    try:
        messages = json.loads(body)
    except ValueError:
        raise InvalidInputError("body", "抖店推送正文不是 JSON") from None
    if not isinstance(messages, list) or not all(isinstance(item, dict) for item in messages):
        raise InvalidInputError("body", "抖店推送正文应为消息数组")
    return messages


def _data(message: dict[str, Any]) -> dict[str, Any]:
    data = message.get("data")
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            return {}
    return data if isinstance(data, dict) else {}


def _target(message: dict[str, Any]) -> tuple[str, str] | None:
    """("trades" | "refunds", the platform's id) for an order or after-sale message, else None."""
    tag, data = str(message.get("tag") or ""), _data(message)
    if tag.startswith("1") and len(tag) == 3 and data.get("p_id"):
        return "trades", str(data["p_id"])
    if tag.startswith("2") and len(tag) == 3 and data.get("aftersale_id"):
        return "refunds", str(data["aftersale_id"])
    return None


def handle_push(session: Session, *, account: ConnectorAccount, body: bytes) -> dict[str, Any]:
    """Queue one targeted fetch for what the new messages name; answer 抖店's ``success``."""
    now = utcnow()
    named: dict[str, list[str]] = {"trades": [], "refunds": []}
    for message in _messages(body):
        target = _target(message)
        msg_id = str(message.get("msg_id") or "")[:MSG_ID_LIMIT]
        if target is None:  # the URL check (tag 0) and messages about anything else
            continue
        if msg_id and not record_receipt(
            session, source=f"douyin-{account.id}", signature=msg_id, signed_at=now, now=now
        ):
            continue
        if target[1] not in named[target[0]]:
            named[target[0]].append(target[1])
    if named["trades"] or named["refunds"]:
        enqueue(
            session,
            "connectors.platform_fetch",
            account_id=account.id,
            trades=named["trades"],
            refunds=named["refunds"],
        )
    service.record_success(account)
    session.flush()
    return ACCEPTED
