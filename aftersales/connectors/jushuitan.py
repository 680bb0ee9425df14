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
channel (``returns.erp.CONNECTED``); ``connectors.erp_sync`` hands it to ``push`` here, and
``pull_shipped`` turns a shipped ERP order into the same ``erp_callback`` a webhook ERP sends.
"""

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from aftersales.connectors import erp_sync, service, signing, wire
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.kit.time import format_local, utcnow
from aftersales.returns import erp
from aftersales.returns.models import Reshipment
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


def push(account: ConnectorAccount, payload: dict[str, Any], reshipment: Reshipment) -> None:
    """One order upload; a refused row (``issuccess: false``) is a failure like an error code."""
    shop_id = erp_shop_id(account, payload.get("shop_code"))
    data = call(account, UPLOAD, [upload_order(payload, shop_id, reshipment.created_at)])
    row: dict[str, Any] = next(iter(data.get("datas") or []), {})
    if not row.get("issuccess"):
        raise ProviderError(f"聚水潭未接收补发单 {payload['out_order_no']}: {row.get('msg') or '无说明'}")


erp_sync.register_erp(Provider.JUSHUITAN, provider=Provider.JUSHUITAN, push=push)


def pull_shipped(session: Session, *, limit: int = 200) -> dict[str, int]:
    """Ask 聚水潭 about pushed reshipments, by shop, in batches; a shipped one gets its waybill."""
    counts = {"shipped": 0, "waiting": 0, "failed": 0}
    batches = erp_sync.awaiting(
        session, erp_format=Provider.JUSHUITAN, provider=Provider.JUSHUITAN, limit=limit
    )
    for batch in batches:
        shop_no = get_policy(session, batch.shop_id).erp_shop_no
        for start in range(0, len(batch.reshipments), QUERY_BATCH):
            rows = batch.reshipments[start : start + QUERY_BATCH]
            _pull_batch(session, batch.account, shop_no, rows, counts)
    return counts


def _pull_batch(
    session: Session,
    account: ConnectorAccount,
    shop_no: str | None,
    rows: list[Reshipment],
    counts: dict[str, int],
) -> None:
    so_ids = [erp.out_order_no(reshipment) for reshipment in rows]
    try:
        shop_id = erp_shop_id(account, shop_no)
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
        shipped = erp_sync.Shipped(
            out_order_no=str(order["so_id"]),
            courier=str(order.get("logistics_company") or ""),
            tracking_no=str(order["l_id"]),
            shipped_at=wire.parse_local(order.get("send_date")),
        )
        counts["failed" if erp_sync.record_shipped(session, account, shipped) else "shipped"] += 1


def check_connection(session: Session, account: ConnectorAccount) -> str:
    """测试连接: a signed order query for a number that does not exist proves key, secret and token."""
    biz = {"shop_id": erp_shop_id(account, None), "so_ids": ["RS0"], "page_index": 1, "page_size": 1}
    call(account, QUERY, biz)
    return "凭证有效,订单查询可用"


service.register_check(Provider.JUSHUITAN, check_connection)
