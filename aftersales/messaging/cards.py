"""Ticket cards with photo evidence for group robots, in each platform's documented format.

Documents followed:

- WeCom 群机器人配置说明 (developer.work.weixin.qq.com/document/path/91770): a ``template_card``
  of ``card_type: "text_notice"`` (``source``, ``main_title``, ``horizontal_content_list`` of at
  most 6 ``{keyname, value}``, ``jump_list``, ``card_action {type: 1, url}``); a photo is its own
  ``{"msgtype": "image", "image": {"base64": ..., "md5": ...}}`` message, the md5 over the raw
  bytes, JPG or PNG only, at most 2 MB before encoding.
- DingTalk 自定义机器人发送消息的消息类型 (open.dingtalk.com/document/orgapp/
  custom-bot-send-message-type): ``actionCard {title, text (markdown), singleTitle, singleURL}``.
  A custom robot has no upload: pictures are markdown ``![](url)`` that DingTalk fetches, here a
  signed, expiring link to the photo on this application.
- Feishu 自定义机器人使用指南 (open.feishu.cn/document/client-docs/bot-v3/add-custom-bot):
  ``{"msg_type": "interactive", "card": {"header", "elements"}}``; an ``img`` element needs an
  ``img_key``, which only the app API hands out: 自建应用获取 tenant_access_token
  (``POST /open-apis/auth/v3/tenant_access_token/internal`` with ``app_id``/``app_secret``) then
  上传图片 (``POST /open-apis/im/v1/images``, multipart ``image_type=message`` + ``image``,
  ``Authorization: Bearer <token>``, answer ``data.image_key``). The upload happens when the
  outbox delivers (channel ``feishu_card``), so a retried card uploads afresh; the app secret is
  looked up then and never stored in the outbox row.
"""

import base64
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
from sqlalchemy.orm import Session, object_session

from aftersales.config import get_settings
from aftersales.messaging.bots import check_reply, feishu_sign
from aftersales.messaging.channels import DeliveryError, post_json, register_channel
from aftersales.messaging.models import OutboxMessage

WECOM_IMAGE_TYPES = ("image/jpeg", "image/png")
WECOM_IMAGE_MAX_BYTES = 2 * 1024 * 1024
WECOM_MAX_FIELDS = 6
FEISHU_API = "https://open.feishu.cn"


@dataclass(frozen=True)
class CardPhoto:
    ref: str  # stable within the card: "p<photo id>"
    content: bytes
    content_type: str
    md5: str
    url: str  # a signed link to the photo on this application


@dataclass(frozen=True)
class TicketCard:
    title: str
    fields: Sequence[tuple[str, str]]  # label, value: order, parcel, courier, problem …
    ask: str  # what the group is asked to do
    link: str  # back to the ticket


@dataclass(frozen=True)
class FeishuApp:
    app_id: str
    app_secret: str
    api_base: str


def card_messages(
    channel: str, card: TicketCard, photos: Sequence[CardPhoto], *, feishu_app: bool = False
) -> list[tuple[str, dict[str, Any]]]:
    """The ``(channel, payload)`` messages one group bot gets for a card, in sending order."""
    if channel == "wecom":
        return wecom_messages(card, photos)
    if channel == "dingtalk":
        return [("dingtalk", dingtalk_card(card, photos))]
    if channel == "feishu":
        if feishu_app:
            return [("feishu_card", feishu_card(card, photos))]
        return [("feishu", feishu_card(card, []))]
    raise ValueError(f"unknown bot channel {channel!r}")


def wecom_messages(card: TicketCard, photos: Sequence[CardPhoto]) -> list[tuple[str, dict[str, Any]]]:
    sendable = [p for p in photos if wecom_sendable(p)]
    messages = [("wecom", wecom_card(card, skipped=len(photos) - len(sendable)))]
    messages += [("wecom", wecom_image(p)) for p in sendable]
    return messages


def wecom_sendable(photo: CardPhoto) -> bool:
    return photo.content_type in WECOM_IMAGE_TYPES and len(photo.content) <= WECOM_IMAGE_MAX_BYTES


def wecom_card(card: TicketCard, *, skipped: int = 0) -> dict[str, Any]:
    desc = card.ask + (f"(另有 {skipped} 张照片格式不支持,请在工单中查看)" if skipped else "")
    return {
        "msgtype": "template_card",
        "template_card": {
            "card_type": "text_notice",
            "source": {"desc": "售后工单"},
            "main_title": {"title": card.title[:36], "desc": desc[:44]},
            "horizontal_content_list": [
                {"keyname": label[:5], "value": value[:26]} for label, value in card.fields[:WECOM_MAX_FIELDS]
            ],
            "jump_list": [{"type": 1, "url": card.link, "title": "查看工单"}],
            "card_action": {"type": 1, "url": card.link},
        },
    }


def wecom_image(photo: CardPhoto) -> dict[str, Any]:
    return {
        "msgtype": "image",
        "image": {"base64": base64.b64encode(photo.content).decode(), "md5": photo.md5},
    }


def dingtalk_card(card: TicketCard, photos: Sequence[CardPhoto]) -> dict[str, Any]:
    lines = [f"### {card.title}", ""]
    lines += [f"- **{label}**:{value}" for label, value in card.fields]
    lines += ["", f"**请协助**:{card.ask}"]
    lines += [f"\n![照片{n}]({photo.url})" for n, photo in enumerate(photos, 1)]
    return {
        "msgtype": "actionCard",
        "actionCard": {
            "title": card.title,
            "text": "\n".join(lines),
            "singleTitle": "查看工单",
            "singleURL": card.link,
        },
    }


def feishu_card(card: TicketCard, photos: Sequence[CardPhoto]) -> dict[str, Any]:
    """The interactive card; ``upload`` lists the photos the delivery uploads for their keys."""
    fields = [
        {"is_short": True, "text": {"tag": "lark_md", "content": f"**{label}**\n{value}"}}
        for label, value in card.fields
    ]
    elements: list[dict[str, Any]] = [
        {"tag": "div", "fields": fields},
        {"tag": "div", "text": {"tag": "lark_md", "content": f"**请协助**:{card.ask}"}},
    ]
    elements += [
        {"tag": "img", "img_key": photo.ref, "alt": {"tag": "plain_text", "content": f"照片{n}"}}
        for n, photo in enumerate(photos, 1)
    ]
    elements.append(
        {
            "tag": "action",
            "actions": [
                {
                    "tag": "button",
                    "text": {"tag": "plain_text", "content": "查看工单"},
                    "type": "primary",
                    "url": card.link,
                }
            ],
        }
    )
    payload: dict[str, Any] = {
        "msg_type": "interactive",
        "card": {
            "config": {"wide_screen_mode": True},
            "header": {"title": {"tag": "plain_text", "content": card.title}, "template": "orange"},
            "elements": elements,
        },
    }
    if photos:
        payload["upload"] = [
            {"ref": p.ref, "content_type": p.content_type, "base64": base64.b64encode(p.content).decode()}
            for p in photos
        ]
    return payload


# ---- delivery of a Feishu card with photos ---------------------------------------------------

AppLookup = Callable[[Session, int], FeishuApp | None]
_app_lookup: list[AppLookup] = []


def register_feishu_app_lookup(lookup: AppLookup) -> None:
    """The owner of the app credentials (the tickets domain's bot apps) tells delivery where they are."""
    _app_lookup[:] = [lookup]


def feishu_destination(webhook_url: str, *, secret: str | None, app_ref: int) -> str:
    """``url#secret=…&app=<id>``: the fragment is never sent; the app's secret is looked up by id."""
    values = {"app": str(app_ref), **({"secret": secret} if secret else {})}
    return f"{webhook_url}#{urlencode(values)}"


class FeishuCardBot:
    def send(self, message: OutboxMessage) -> None:
        parts = urlsplit(message.destination)
        fragment = parse_qs(parts.fragment)
        url = urlunsplit(parts._replace(fragment=""))
        payload = dict(message.payload)
        uploads = payload.pop("upload", [])
        if uploads:
            app = self._app(message, fragment.get("app", [""])[0])
            keys = upload_images(app, uploads)
            payload["card"] = _with_image_keys(payload["card"], keys)
        secret = fragment.get("secret", [None])[0]
        if secret:
            timestamp = int(time.time())
            payload = {"timestamp": str(timestamp), "sign": feishu_sign(secret, timestamp), **payload}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        check_reply(post_json(url, body, {}).text)

    @staticmethod
    def _app(message: OutboxMessage, app_ref: str) -> FeishuApp:
        session = object_session(message)
        app = _app_lookup[0](session, int(app_ref)) if _app_lookup and session and app_ref.isdigit() else None
        if app is None:
            raise DeliveryError(f"no Feishu app credentials for app {app_ref!r}")
        return app


def upload_images(app: FeishuApp, uploads: list[dict[str, Any]]) -> dict[str, str]:
    """Each photo's ``ref`` to the ``image_key`` Feishu gave for it."""
    token = tenant_access_token(app)
    return {item["ref"]: _upload(app, token, item) for item in uploads}


def tenant_access_token(app: FeishuApp) -> str:
    body = json.dumps({"app_id": app.app_id, "app_secret": app.app_secret}).encode()
    reply = _json(post_json(f"{app.api_base}/open-apis/auth/v3/tenant_access_token/internal", body, {}))
    token = reply.get("tenant_access_token")
    if reply.get("code") != 0 or not token:
        raise DeliveryError(f"feishu token refused: code={reply.get('code')} {reply.get('msg')}")
    return str(token)


def _upload(app: FeishuApp, token: str, item: dict[str, Any]) -> str:
    content = base64.b64decode(item["base64"])
    extension = "png" if item["content_type"] == "image/png" else "jpg"
    try:
        response = httpx.post(
            f"{app.api_base}/open-apis/im/v1/images",
            data={"image_type": "message"},
            files={"image": (f"{item['ref']}.{extension}", content, item["content_type"])},
            headers={"Authorization": f"Bearer {token}"},
            timeout=get_settings().webhook_timeout_seconds,
        )
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    reply = _json(response)
    key = (reply.get("data") or {}).get("image_key")
    if response.status_code >= 300 or reply.get("code") != 0 or not key:
        raise DeliveryError(f"feishu image upload refused: code={reply.get('code')} {reply.get('msg')}")
    return str(key)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        value = response.json()
    except ValueError:
        raise DeliveryError(f"HTTP {response.status_code}: not JSON") from None
    return value if isinstance(value, dict) else {}


def _with_image_keys(card: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
    elements = [
        {**element, "img_key": keys[element["img_key"]]} if element.get("tag") == "img" else element
        for element in card["elements"]
    ]
    return {**card, "elements": elements}


register_channel("feishu_card", FeishuCardBot())
