"""阿里云短信 as the ``sms`` customer channel: template codes, per-phone rate limit, receipts.

The outbox delivers SMS through ``AliyunSmsChannel``. A message whose order's shop (or all
shops) has an 阿里云短信 account goes to 阿里云 as ``SendSms`` with the account's signature name
and the 阿里云 template code mapped from our template code, the template's variables as
``TemplateParam`` and the outbox idempotency key as ``OutId``; without an account it goes to the
recorded local provider as before (the demo and the tests). Protocol: ``connectors.aliyun_sms``.
"""

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

import aftersales.messaging.customer_channels  # noqa: F401  (registers the recorded SMS channel first)
from aftersales.config import get_settings
from aftersales.connectors import aliyun_sms, service, wire
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider, SmsSend
from aftersales.kit.errors import InvalidInputError, NotAuthenticatedError
from aftersales.kit.time import utcnow
from aftersales.messaging.channels import Channel, DeliveryError, get_channel, register_channel
from aftersales.messaging.models import OutboxMessage
from aftersales.orders.models import Order

RECEIPT_PATH = "/api/connectors/aliyun-sms/{account_id}/receipts/{token}"
# 阿里云's default flow control for one number (documented 1/minute, 5/hour, 10/day); checked
# here first so a burst waits in the outbox instead of being refused by 阿里云.
DEFAULT_LIMITS = {"minute": 1, "hour": 5, "day": 10}
TEMPLATE_STATUS = {"0": "审核中", "1": "已通过审核", "2": "未通过审核"}
WINDOWS = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}


class ReceiptTokenError(NotAuthenticatedError):
    """The receipt URL's token is not the one we gave 阿里云 for this account."""


def templates(account: ConnectorAccount) -> dict[str, str]:
    """Our template code -> the 阿里云 template code (``SMS_…``). The CLI gives it as
    ``templates=eta_apology:SMS_1,refund_done:SMS_2``; the console stores a mapping."""
    value = account.settings.get("templates") or {}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    pairs = (item.partition(":") for item in str(value).split(",") if item.strip())
    return {ours.strip(): theirs.strip() for ours, _, theirs in pairs}


def limits(account: ConnectorAccount) -> dict[str, int]:
    configured = account.settings.get("rate_limit") or {}
    return {
        **DEFAULT_LIMITS,
        **({k: int(v) for k, v in configured.items()} if isinstance(configured, dict) else {}),
    }


def receipt_token(account_id: int) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"aliyun-sms-receipts:{account_id}".encode(), hashlib.sha256).hexdigest()[:32]


def valid_receipt_token(account_id: int, token: str) -> bool:
    return hmac.compare_digest(receipt_token(account_id), token)


def receipt_url(account: ConnectorAccount) -> str | None:
    base = str(account.settings.get("callback_base") or "").rstrip("/")
    path = RECEIPT_PATH.format(account_id=account.id, token=receipt_token(account.id))
    return base + path if base else None


def _call(session: Session, account: ConnectorAccount, action: str, params: dict[str, str]) -> dict[str, Any]:
    creds = service.credentials(account)
    query = aliyun_sms.signed_params(
        access_key_id=creds["access_key_id"],
        secret=creds["access_key_secret"],
        action=action,
        params=params,
        now=utcnow(),
    )
    response = service.request("GET", service.endpoint(account) + "/", params=query)
    reply = wire.json_reply(response, "阿里云短信")
    return aliyun_sms.read_reply(reply)


def check_rate(session: Session, *, phone: str, account: ConnectorAccount, now: datetime) -> None:
    for window, allowed in limits(account).items():
        sent = session.scalar(
            select(func.count(SmsSend.id)).where(
                SmsSend.phone == phone, SmsSend.sent_at > now - WINDOWS[window]
            )
        )
        if (sent or 0) >= allowed:
            raise DeliveryError(
                f"手机号 {phone[:3]}****{phone[-4:]} 过于频繁(每{_label(window)}最多 {allowed} 条),稍后重试"
            )


def _label(window: str) -> str:
    return {"minute": "分钟", "hour": "小时", "day": "天"}[window]


def send(session: Session, *, account: ConnectorAccount, message: OutboxMessage, phone: str) -> None:
    """One ``SendSms``; a key already accepted by 阿里云 is not sent again."""
    key = message.idempotency_key
    if session.scalar(select(SmsSend.id).where(SmsSend.idempotency_key == key)) is not None:
        return
    ours = str(message.payload.get("template_code") or "")
    theirs = templates(account).get(ours)
    if not theirs:
        raise DeliveryError(
            f"模板 {ours or '(无)'} 没有对应的阿里云短信模板代码,请在连接设置 templates 中配置"
        )
    now = utcnow()
    check_rate(session, phone=phone, account=account, now=now)
    params = aliyun_sms.send_params(
        phone=phone,
        sign_name=str(account.settings.get("sign_name") or ""),
        template_code=theirs,
        template_param=dict(message.payload.get("params") or {}),
        out_id=key,
    )
    try:
        reply = _call(session, account, "SendSms", params)
    except ProviderError as exc:
        service.record_failure(account, exc.message)
        raise DeliveryError(exc.message) from exc
    service.record_success(account)
    session.add(
        SmsSend(
            account_id=account.id,
            idempotency_key=key,
            phone=phone,
            template_code=theirs,
            biz_id=str(reply.get("BizId") or "")[:64] or None,
            sent_at=now,
        )
    )
    session.flush()


class AliyunSmsChannel:
    """The ``sms`` channel: 阿里云 for shops with an account, the previous channel otherwise."""

    def __init__(self, fallback: Channel) -> None:
        self.fallback = fallback

    def send(self, message: OutboxMessage) -> None:
        session = object_session(message)
        account = _account(session, message) if session is not None else None
        if session is None or account is None:
            self.fallback.send(message)
            return
        phone = "".join(ch for ch in message.destination if ch.isdigit())
        if len(phone) < 7:
            raise DeliveryError(f"bad phone number {message.destination!r}")
        send(session, account=account, message=message, phone=phone)


def _account(session: Session, message: OutboxMessage) -> ConnectorAccount | None:
    order_id = message.payload.get("order_id")
    shop_id = session.scalar(select(Order.shop_id).where(Order.id == order_id)) if order_id else None
    return service.account_for(session, provider=Provider.ALIYUN_SMS, shop_id=shop_id)


def record_receipts(session: Session, *, account_id: int, token: str, body: Any) -> dict[str, Any]:
    """Delivery receipts fill in the sends they name (by ``biz_id`` and ``out_id``); others are ignored."""
    account = session.get(ConnectorAccount, account_id)
    if account is None or not valid_receipt_token(account_id, token):
        raise ReceiptTokenError("回执地址无效")
    for receipt in aliyun_sms.parse_receipts(body):
        row = session.scalar(
            select(SmsSend).where(SmsSend.account_id == account.id, SmsSend.idempotency_key == receipt.out_id)
        )
        if row is None or (receipt.biz_id and row.biz_id and row.biz_id != receipt.biz_id):
            continue
        row.delivered = receipt.delivered
        row.report_code = receipt.code
        row.report_message = receipt.message
        row.reported_at = utcnow()
    session.flush()
    return aliyun_sms.RECEIPT_ACCEPTED


def check_connection(session: Session, account: ConnectorAccount) -> str:
    """测试连接: ``QuerySmsTemplate`` of the first mapped template (sends nothing to anyone)."""
    mapped = templates(account)
    if not mapped or not account.settings.get("sign_name"):
        raise InvalidInputError("settings", "阿里云短信连接需要设置 sign_name 和 templates")
    code = sorted(mapped.values())[0]
    reply = _call(session, account, "QuerySmsTemplate", {"TemplateCode": code})
    status = {"0": "审核中", "1": "已通过审核", "2": "未通过审核"}.get(
        str(reply.get("TemplateStatus")), "状态未知"
    )
    return f"凭证有效,模板 {code} {status}"


service.register_check(Provider.ALIYUN_SMS, check_connection)
# The recorded SMS channel registered by messaging stays the fallback for shops without an account.
channel = AliyunSmsChannel(get_channel("sms"))
register_channel("sms", channel)
