"""Provider callbacks: public routes, each authenticated the way its provider documents."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request

from aftersales.auth.deps import SessionDep
from aftersales.connectors import douyin_push, sms, tracking
from aftersales.connectors.models import ConnectorAccount

router = APIRouter(prefix="/api/connectors", tags=["connectors"])

FORM_LIMIT = 2_000_000
AccountId = Annotated[int, Path(ge=1, le=2**31 - 1)]


async def _form(request: Request) -> dict[str, str]:
    form = await request.form(max_part_size=FORM_LIMIT)
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _kuaidi100_push(
    session: SessionDep, account_id: AccountId, form: Annotated[dict[str, str], Depends(_form)]
) -> tuple[ConnectorAccount, str]:
    """Sync, so its queries run in the thread pool; a missing or wrong ``sign`` is 401."""
    param, sign = form.get("param", ""), form.get("sign", "")
    if not param or not sign:
        raise tracking.PushSignatureError("快递100 推送缺少 param 或 sign")
    account = tracking.verified_account(session, account_id=account_id, param=param, sign=sign)
    return account, param


# Public but authenticated by the provider's signature (see tests/security/routes.py).
_kuaidi100_push.webhook_source_param = "account_id"  # type: ignore[attr-defined]


def _aliyun_receipt_token(
    account_id: AccountId, token: Annotated[str, Path(max_length=64)]
) -> tuple[int, str]:
    """Checked before the body is read: a wrong token is 401 whatever was posted."""
    if not sms.valid_receipt_token(account_id, token):
        raise sms.ReceiptTokenError("回执地址无效")
    return account_id, token


_aliyun_receipt_token.webhook_source_param = "account_id"  # type: ignore[attr-defined]


async def _raw_body(request: Request) -> bytes:
    return await request.body()


def _douyin_push(
    session: SessionDep,
    account_id: AccountId,
    body: Annotated[bytes, Depends(_raw_body)],
    app_id: Annotated[str, Header(alias="app-id", max_length=64)] = "",
    event_sign: Annotated[str, Header(alias="event-sign", max_length=64)] = "",
) -> tuple[ConnectorAccount, bytes]:
    """Sync, so its queries run in the thread pool; checked over the raw body, as signed."""
    if not app_id or not event_sign:
        raise douyin_push.PushSignatureError("抖店推送缺少 app-id 或 event-sign")
    account = douyin_push.verified_account(
        session, account_id=account_id, app_id=app_id, sign=event_sign, body=body
    )
    return account, body


_douyin_push.webhook_source_param = "account_id"  # type: ignore[attr-defined]


@router.post(
    "/douyin/{account_id}/push",
    summary="抖店消息推送 (headers app-id + event-sign = MD5(app_key + body + app_secret))",
    description="A JSON array of 抖店 messages; each order or after-sale message is fetched in full "
    'and stored as the sync stores it. The answer is the documented `{"code": 0, "msg": "success"}`; '
    "a missing or wrong signature is 401.",
)
def douyin_push_messages(
    session: SessionDep, verified: Annotated[tuple[ConnectorAccount, bytes], Depends(_douyin_push)]
) -> dict[str, Any]:
    account, body = verified
    return douyin_push.handle_push(session, account=account, body=body)


@router.post(
    "/kuaidi100/{account_id}/push",
    summary="快递100 订阅推送 (form param + sign = MD5(param + salt))",
    description="快递100 posts each tracking update here; the answer is its documented "
    '`{"result": true, "returnCode": "200", "message": "成功"}`. A missing or wrong signature is 401.',
)
def kuaidi100_push(
    session: SessionDep, verified: Annotated[tuple[ConnectorAccount, str], Depends(_kuaidi100_push)]
) -> dict[str, Any]:
    account, param = verified
    return tracking.handle_push(session, account=account, param=param)


@router.post(
    "/aliyun-sms/{account_id}/receipts/{token}",
    summary="阿里云短信 回执 (SmsReport, HTTP批量推送)",
    description="A JSON array of delivery reports; the answer is the documented "
    '`{"code": 0, "msg": "接收成功"}`. The push is unsigned, so the URL carries a token only we issue.',
)
def aliyun_sms_receipts(
    session: SessionDep,
    verified: Annotated[tuple[int, str], Depends(_aliyun_receipt_token)],
    body: list[dict[str, Any]],
) -> dict[str, Any]:
    account_id, token = verified
    return sms.record_receipts(session, account_id=account_id, token=token, body=body)
