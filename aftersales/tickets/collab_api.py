"""Group robots' callbacks (Feishu, DingTalk, WeCom) and the signed photo links the cards carry.

These routes take no bearer token: each is authenticated by its platform's signature
(``messaging.callbacks``) with the keys of the bot app the path names. An unknown bot, a wrong
signature or token, an old timestamp or a bad cipher is 401; the same signed request a second
time is 409 (its signature is kept in ``webhook_receipts`` within the request's transaction, so a
request that failed can be retried). A platform resending one message under a new signature is
stored once (by its message id).
"""

import hashlib
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from aftersales.audit.webhooks import WebhookReplayError, record_receipt
from aftersales.auth.deps import RequireAdmin, SessionDep
from aftersales.kit.errors import NotAuthenticatedError
from aftersales.kit.time import utcnow
from aftersales.messaging.callbacks import (
    CallbackRejected,
    Verified,
    WeComApp,
    verify_dingtalk,
    verify_feishu,
    verify_wecom,
)
from aftersales.tickets import collab, collab_replies, schemas
from aftersales.tickets.collab_models import GroupBotApp, TicketPhoto
from aftersales.tickets.models import GroupBot

router = APIRouter(prefix="/api/tickets", tags=["tickets"])

Checked = tuple[GroupBot, GroupBotApp, Verified]


def _verify(channel: str, request: Request, body: bytes, app: GroupBotApp) -> Verified:
    now = utcnow()
    headers = {key.lower(): value for key, value in request.headers.items()}
    if channel == "feishu":
        return verify_feishu(headers=headers, body=body, encrypt_key=app.aes_key, token=app.token, now=now)
    if channel == "dingtalk":
        return verify_dingtalk(headers=headers, body=body, app_secret=app.app_secret, now=now)
    wecom = WeComApp(app.token, app.aes_key, app.app_id) if app.token and app.aes_key and app.app_id else None
    return verify_wecom(query=dict(request.query_params), body=body, app=wecom, now=now)


def _remember(session: Session, channel: str, signature: str, body: bytes) -> None:
    """Refuse an exact replay: the same signature over the same body. (DingTalk signs only the
    timestamp, so two messages of one millisecond share a signature but not a body.) The unique
    (source, signature) decides between concurrent copies."""
    digest = hashlib.sha256(signature.encode() + b"\n" + body).hexdigest()
    now = utcnow()
    if not record_receipt(session, source=f"group-{channel}", signature=digest, signed_at=now, now=now):
        raise WebhookReplayError("重复的请求(重放)已拒绝:该签名已被接收过")


def verified_callback(channel: str) -> Callable[..., Checked]:
    """FastAPI dependency: the bot, its app and the verified callback for ``/{bot_id}/<channel>``."""

    async def raw_body(request: Request) -> bytes:
        return await request.body()

    def dependency(
        request: Request, session: SessionDep, bot_id: int, body: Annotated[bytes, Depends(raw_body)]
    ) -> Checked:
        bot, app = collab_replies.bot_app(session, bot_id, channel)
        try:
            verified = _verify(channel, request, body, app)
        except CallbackRejected as exc:
            raise NotAuthenticatedError(f"回调校验失败: {exc}") from None
        if verified.challenge is None and verified.signature and (channel != "feishu" or app.aes_key):
            _remember(session, channel, verified.signature, body)
        return bot, app, verified

    dependency.webhook_source_param = "bot_id"  # type: ignore[attr-defined]
    return dependency


def _file(session: Session, checked: Checked) -> None:
    bot, app, verified = checked
    if verified.message is not None and verified.message.message_id:
        collab_replies.receive(session, bot=bot, app=app, message=verified.message)


@router.post("/group-callbacks/{bot_id}/feishu")
def feishu_callback(
    session: SessionDep, checked: Annotated[Checked, Depends(verified_callback("feishu"))]
) -> dict[str, Any]:
    """飞书事件订阅: the URL handshake answers its challenge; a group message is filed."""
    if checked[2].challenge is not None:
        return {"challenge": checked[2].challenge}
    _file(session, checked)
    return {"code": 0}


@router.post("/group-callbacks/{bot_id}/dingtalk")
def dingtalk_callback(
    session: SessionDep, checked: Annotated[Checked, Depends(verified_callback("dingtalk"))]
) -> dict[str, Any]:
    """钉钉机器人接收消息: filed; no answer is posted back into the group."""
    _file(session, checked)
    return {"msgtype": "empty"}


@router.get("/group-callbacks/{bot_id}/wecom")
def wecom_url_check(checked: Annotated[Checked, Depends(verified_callback("wecom"))]) -> Response:
    """企业微信验证回调 URL: the decrypted echostr, as plain text."""
    return Response(checked[2].challenge or "", media_type="text/plain")


@router.post("/group-callbacks/{bot_id}/wecom")
def wecom_callback(
    session: SessionDep, checked: Annotated[Checked, Depends(verified_callback("wecom"))]
) -> Response:
    """企业微信接收消息: filed; an empty answer means received, with no passive reply."""
    _file(session, checked)
    return Response("", media_type="text/plain")


def signed_photo(session: SessionDep, photo_id: int, sig: str | None = None) -> TicketPhoto:
    return collab.photo_by_link(session, photo_id, sig)


signed_photo.webhook_source_param = "photo_id"  # type: ignore[attr-defined]


@router.get("/group-photos/{photo_id}")
def group_photo(photo: Annotated[TicketPhoto, Depends(signed_photo)]) -> Response:
    """A card's photo, fetched by the group platform through the card's signed link."""
    return Response(
        photo.content, media_type=photo.content_type, headers={"Cache-Control": "private, max-age=3600"}
    )


@router.put("/group-bots/{bot_id}/app", response_model=schemas.BotAppRead)
def put_bot_app(
    session: SessionDep, _: RequireAdmin, bot_id: int, data: schemas.BotAppIn
) -> schemas.BotAppRead:
    """Admins connect a robot's platform app: where its replies come in and how photos go out."""
    app = collab.save_bot_app(session, bot_id=bot_id, values=data.model_dump())
    bot = session.get(GroupBot, bot_id)
    assert bot is not None
    return schemas.BotAppRead(
        bot_id=app.bot_id,
        role=app.role,
        app_id=app.app_id,
        api_base=app.api_base,
        send_cards=app.send_cards,
        has_app_secret=bool(app.app_secret),
        has_token=bool(app.token),
        has_aes_key=bool(app.aes_key),
        callback_path=f"/api/tickets/group-callbacks/{bot_id}/{bot.channel}",
    )
