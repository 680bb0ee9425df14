"""聚水潭 ERP (jushuitan open API): reshipments pushed as orders, their waybills read back.

Built to 聚水潭开放平台's published protocol (openweb.jushuitan.com/dev-doc: "调用说明 / 签名规则"
docType=1, "订单上传(商家自有商城、跨境线下)" docType=4&docId=18 ``/open/jushuitan/orders/upload``
and "订单查询" ``/open/orders/single/query``):

- ``POST https://openapi.jushuitan.com{path}`` (测试环境 ``https://dev-api.jushuitan.com``),
  form ``app_key``, ``access_token`` (the merchant's 授权), ``timestamp`` (unix seconds),
  ``charset=utf-8``, ``version=2``, ``biz`` (the business parameters as JSON) and ``sign``.
- Signature: every parameter except ``sign`` sorted by name, ``name + value`` concatenated,
  prefixed with the app secret, lower-case hex MD5.
- Answers: ``{"code": 0, "msg", "data": {...}}``; any other code is an error with its ``msg``
  (100: access_token 无效, which no retry fixes).
- Upload: ``biz`` is a list of orders (``shop_id``, ``so_id``, ``order_date``, ``shop_status``,
  receiver fields, ``pay_amount``, ``freight``, ``items`` with ``sku_id``/``shop_sku_id``/``qty``/
  ``outer_oi_id``); each answer row in ``data.datas`` has ``issuccess``, ``msg``, ``o_id``. Our
  ``so_id`` is the reshipment's ``RS<id>``: uploading the same ``so_id`` again updates the ERP
  order rather than adding one, so a retried push never ships twice.
- Query: ``biz`` ``{"shop_id", "so_ids", "page_index", "page_size"}``; ``data.orders`` carry
  ``so_id``, ``status`` (``Sent`` = 已发货), ``l_id`` (the waybill), ``logistics_company`` and
  ``send_date``.

The reshipment itself is created by ``returns.reshipments`` and queued on the outbox's ``erp``
channel (``returns.erp.CONNECTED``); ``JushuitanChannel`` delivers it, and
``pull_shipped`` turns a shipped ERP order into the same ``erp_callback`` a webhook ERP sends.
"""

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from aftersales.connectors import service, signing, wire
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.kit.errors import AftersalesError
from aftersales.kit.time import format_local, utcnow
from aftersales.messaging.channels import DeliveryError, register_channel
from aftersales.messaging.models import OutboxMessage, OutboxStatus
from aftersales.orders.couriers import courier_code
from aftersales.returns import erp
from aftersales.returns.models import Reshipment, ReshipmentStatus
from aftersales.returns.reshipments import erp_callback
from aftersales.returns.schemas import ErpCallbackIn
from aftersales.returns.service import get_policy

UPLOAD = "/open/jushuitan/orders/upload"
QUERY = "/open/orders/single/query"
CREDENTIAL_CODES = frozenset({100})
SENT = "Sent"
QUERY_BATCH = 20


def sign(params: dict[str, str], secret: str) -> str:
    return signing.md5_hex(secret + signing.joined(params))


def signed_form(*, app_key: str, secret: str, token: str, biz: Any, now: datetime) -> dict[str, str]:
    form = {
        "app_key": app_key,
        "access_token": token,
        "timestamp": str(int(now.timestamp())),
        "charset": "utf-8",
        "version": "2",
        "biz": json.dumps(biz, ensure_ascii=False, separators=(",", ":")),
    }
    return {**form, "sign": sign(form, secret)}


def call(account: ConnectorAccount, path: str, biz: Any) -> dict[str, Any]:
    creds = service.credentials(account)
    form = signed_form(
        app_key=creds["app_key"],
        secret=creds["app_secret"],
        token=creds["access_token"],
        biz=biz,
        now=utcnow(),
    )
    response = service.request("POST", service.endpoint(account) + path, data=form)
    reply = wire.json_reply(response, "聚水潭")
    code = int(reply.get("code", -1))
    if code != 0:
        message = reply.get("msg", "")
        raise ProviderError(
            f"聚水潭 {code} {message}".strip(), code=str(code), retry=code not in CREDENTIAL_CODES
        )
    data = reply.get("data")
    return data if isinstance(data, dict) else {}


def erp_shop_id(account: ConnectorAccount, shop_no: str | None) -> int:
    """The 聚水潭 店铺编号: the shop policy's ERP shop number when it is one, else the account's."""
    value = shop_no if shop_no and shop_no.isdigit() else str(account.settings.get("shop_id") or "")
    if not value.isdigit():
        raise ProviderError("聚水潭连接需要店铺编号(设置 shop_id 或售后设置的 ERP 店铺编号)", retry=False)
    return int(value)


def upload_order(payload: dict[str, Any], shop_id: int, created_at: datetime) -> dict[str, Any]:
    """Our generic reshipment payload as one 聚水潭 order."""
    so_id = str(payload["out_order_no"])
    receiver = payload.get("receiver") or {}
    remark = f"补发 原单{payload.get('platform_order_no')}:{payload.get('reason')}"
    return {
        "shop_id": shop_id,
        "so_id": so_id,
        "order_date": format_local(created_at, "%Y-%m-%d %H:%M:%S"),
        "shop_status": "WAIT_SELLER_SEND_GOODS",
        "shop_buyer_id": str(payload.get("platform_order_no") or so_id),
        "receiver_name": receiver.get("name") or "",
        "receiver_phone": receiver.get("phone") or "",
        "receiver_state": receiver.get("province") or "",
        "receiver_city": receiver.get("city") or "",
        "receiver_district": receiver.get("district") or "",
        "receiver_address": receiver.get("address") or "",
        "pay_amount": 0,
        "freight": 0,
        "remark": remark[:200],
        "items": [
            {
                "sku_id": item.get("sku_code") or item["title"][:40],
                "shop_sku_id": item.get("sku_code") or item["title"][:40],
                "name": item["title"],
                "qty": int(item["quantity"]),
                "amount": 0,
                "base_price": 0,
                "outer_oi_id": f"{so_id}-{index}",
            }
            for index, item in enumerate(payload.get("items") or [])
        ],
    }


def push(session: Session, *, reshipment: Reshipment, payload: dict[str, Any]) -> None:
    account = service.account_for(session, provider=Provider.JUSHUITAN, shop_id=reshipment.shop_id)
    if account is None:
        raise DeliveryError("店铺没有聚水潭连接,请在 连接 页录入凭证")
    try:
        shop_id = erp_shop_id(account, payload.get("shop_code"))
        data = call(account, UPLOAD, [upload_order(payload, shop_id, reshipment.created_at)])
        row: dict[str, Any] = next(iter(data.get("datas") or []), {})
        if not row.get("issuccess"):
            raise ProviderError(f"聚水潭未接收补发单 {payload['out_order_no']}: {row.get('msg') or '无说明'}")
    except ProviderError as exc:
        service.record_failure(account, exc.message)
        raise DeliveryError(exc.message) from exc
    service.record_success(account)


class JushuitanChannel:
    """The outbox's ``erp`` channel for 聚水潭: the reshipment is found by its ``RS<id>``."""

    def send(self, message: OutboxMessage) -> None:
        session = object_session(message)
        reshipment_id = erp.parse_out_order_no(str(message.payload.get("out_order_no") or ""))
        reshipment = session.get(Reshipment, reshipment_id) if session is not None and reshipment_id else None
        if session is None or reshipment is None:
            raise DeliveryError(f"补发单不存在: {message.payload.get('out_order_no')}")
        push(session, reshipment=reshipment, payload=message.payload)


channel = JushuitanChannel()
register_channel(erp.ERP_CHANNEL, channel)


def _awaiting(session: Session, limit: int) -> list[Reshipment]:
    """Pushed (the outbox delivered it) and not shipped yet."""
    query = (
        select(Reshipment)
        .join(OutboxMessage, OutboxMessage.idempotency_key == Reshipment.outbox_key)
        .where(
            Reshipment.erp_format == Provider.JUSHUITAN,
            Reshipment.status == ReshipmentStatus.PUSHING,
            OutboxMessage.status == OutboxStatus.SENT,
        )
        .order_by(Reshipment.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def pull_shipped(session: Session, *, limit: int = 200) -> dict[str, int]:
    """Ask 聚水潭 about pushed reshipments, by shop, in batches; a shipped one gets its waybill."""
    counts = {"shipped": 0, "waiting": 0, "failed": 0}
    by_shop: dict[int, list[Reshipment]] = {}
    for reshipment in _awaiting(session, limit):
        by_shop.setdefault(reshipment.shop_id, []).append(reshipment)
    for shop, rows in by_shop.items():
        account = service.account_for(session, provider=Provider.JUSHUITAN, shop_id=shop)
        if account is None:
            continue
        for start in range(0, len(rows), QUERY_BATCH):
            _pull_batch(session, account, rows[start : start + QUERY_BATCH], counts)
    return counts


def _pull_batch(
    session: Session, account: ConnectorAccount, rows: list[Reshipment], counts: dict[str, int]
) -> None:
    so_ids = [erp.out_order_no(reshipment) for reshipment in rows]
    try:
        shop_id = erp_shop_id(account, get_policy(session, rows[0].shop_id).erp_shop_no)
        biz = {"shop_id": shop_id, "so_ids": so_ids, "page_index": 1, "page_size": QUERY_BATCH}
        orders = call(account, QUERY, biz).get("orders") or []
    except ProviderError as exc:
        service.record_failure(account, exc.message)
        counts["failed"] += len(rows)
        return
    service.record_success(account)
    for order in orders:
        if order.get("so_id") not in so_ids:
            continue
        if order.get("status") != SENT or not order.get("l_id"):
            counts["waiting"] += 1
            continue
        counts["shipped" if _shipped(session, account, order) else "failed"] += 1


def _shipped(session: Session, account: ConnectorAccount, order: dict[str, Any]) -> bool:
    try:
        data = ErpCallbackIn(
            out_order_no=str(order["so_id"]),
            courier=courier_code(str(order.get("logistics_company") or "")),
            tracking_no=str(order["l_id"]),
            shipped_at=wire.parse_local(order.get("send_date")),
        )
        with session.begin_nested():
            erp_callback(session, data=data)
    except (KeyError, ValueError, AftersalesError) as exc:
        service.record_failure(account, f"补发单 {order.get('so_id')} 的发货信息无法读取: {str(exc)[:200]}")
        return False
    return True


def check_connection(session: Session, account: ConnectorAccount) -> str:
    """测试连接: a signed order query for a number that does not exist proves key, secret and token."""
    biz = {"shop_id": erp_shop_id(account, None), "so_ids": ["RS0"], "page_index": 1, "page_size": 1}
    call(account, QUERY, biz)
    return "凭证有效,订单查询可用"


service.register_check(Provider.JUSHUITAN, check_connection)
