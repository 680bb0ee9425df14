"""旺店通 ERP (旺店通·企业版 open API): reshipments pushed as original orders, their waybills read back.

Built to 旺店通开放平台's published protocol (open.wangdian.cn/qyb/open/apidoc: "签名算法"
guide_signsf, "创建原始订单 trade_push.php", "查询物流同步 logistics_sync_query.php" and
"物流同步回写 logistics_sync_ack.php"; the official ``WdtClient`` PHP/Java demo clients):

- ``POST https://openapi.huice.com/openapi/{file}.php`` (测试环境
  ``https://openapi.ali.huice.cc/openapi``; older accounts use ``api.wangdian.cn/openapi2``, which
  the ``endpoint`` setting covers), form-encoded: ``sid`` (卖家账号), ``appkey`` (接口账号),
  ``timestamp`` (unix seconds; the server allows 5 minutes of drift), the business parameters
  (lists as JSON text) and ``sign``.
- Signature: every parameter except ``sign`` sorted by name; each written as the name's length in
  2 digits, ``-``, the name, ``:``, the value's length in 4 digits, ``-``, the value (lengths in
  characters, as the demo clients' ``iconv_strlen`` counts them); joined with ``;``; the
  appsecret appended; lower-case hex MD5. The guide's example (``appkey=test2-xx`` … secret
  ``12345``) gives ``ad4e6fe037ea6e3ba4768317be9d1309``, which the tests check.
- Answers: ``{"code": 0, "message": "", ...}``; any other code is an error with its ``message``.
- ``trade_push``: ``shop_no`` and ``trade_list`` (orders with ``tid``, statuses, receiver fields,
  amounts and ``order_list`` lines ``oid``/``num``/``price``/``goods_id``/``spec_no``…); the answer
  counts ``new_count`` and ``chg_count``. Our ``tid`` is the reshipment's ``RS<id>``: pushing the
  same ``tid`` again updates the original order (``chg_count``), so a retried push never ships twice.
- ``logistics_sync_query``: ``shop_no``, ``limit`` (1-100) → ``trades`` waiting to be synced
  (``rec_id``, ``tid``, ``logistics_no``, ``logistics_name_erp``, ``consign_time``…) and
  ``total_count``; each must be answered with ``logistics_sync_ack`` (``logistics_list`` of
  ``rec_id``, ``status`` 0 成功 / 1 失败, ``message``; at most 50 a call), else it comes back.
  The answer's ``errors`` lists the acknowledgements it could not take.

The reshipment is created by ``returns.reshipments`` and queued on the outbox's ``erp`` channel
(``returns.erp.CONNECTED``); ``connectors.erp_sync`` hands it to ``push`` here, and
``pull_shipped`` drains 旺店通's waiting shipments into the same ``erp_callback`` a webhook ERP sends.
"""

import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, object_session

from aftersales.connectors import erp_sync, service, signing, wire
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.kit.time import format_local, utcnow
from aftersales.orders.couriers import courier_name
from aftersales.returns import erp
from aftersales.returns.models import Reshipment, ReshipmentStatus
from aftersales.returns.service import get_policy

TRADE_PUSH = "/trade_push.php"
SYNC_QUERY = "/logistics_sync_query.php"
SYNC_ACK = "/logistics_sync_ack.php"
SYNC_LIMIT = 100  # the query's largest page
ACK_BATCH = 50  # the document's ceiling for one acknowledgement
MAX_PAGES = 10  # per shop and run; the rest waits for the next run
ACK_OK, ACK_FAILED = 0, 1
PAID = 30  # 平台状态 已支付
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def packed(params: dict[str, str]) -> str:
    names = sorted(key for key in params if key != "sign")
    return ";".join(f"{len(key):02d}-{key}:{len(params[key]):04d}-{params[key]}" for key in names)


def sign(params: dict[str, str], secret: str) -> str:
    return signing.md5_hex(packed(params) + secret)


def signed_form(
    *, sid: str, appkey: str, secret: str, params: dict[str, str], now: datetime
) -> dict[str, str]:
    form = {**params, "sid": sid, "appkey": appkey, "timestamp": str(int(now.timestamp()))}
    return {**form, "sign": sign(form, secret)}


def call(account: ConnectorAccount, path: str, params: dict[str, str]) -> dict[str, Any]:
    creds = service.credentials(account)
    form = signed_form(
        sid=creds["sid"], appkey=creds["appkey"], secret=creds["appsecret"], params=params, now=utcnow()
    )
    response = service.request("POST", service.endpoint(account) + path, data=form)
    reply = wire.json_reply(response, "旺店通")
    code = str(reply.get("code", "-1"))
    if code != "0":
        raise ProviderError(f"旺店通 {code} {reply.get('message') or ''}".strip(), code=code)
    return reply


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def shop_no(account: ConnectorAccount, policy_shop_no: str | None) -> str:
    """The 旺店通 店铺编号: the shop policy's ERP shop number, else the account's ``shop_no``."""
    value = policy_shop_no or str(account.settings.get("shop_no") or "")
    if not value:
        raise ProviderError("旺店通连接需要店铺编号(设置 shop_no 或售后设置的 ERP 店铺编号)", retry=False)
    return value


def trade(payload: dict[str, Any], created_at: datetime) -> dict[str, Any]:
    """Our generic reshipment payload as one 旺店通 original order, paid and free of charge."""
    tid = str(payload["out_order_no"])
    receiver = payload.get("receiver") or {}
    when = format_local(created_at, TIME_FORMAT)
    memo = f"补发 原单{payload.get('platform_order_no')}:{payload.get('reason')}"
    if payload.get("courier_hint"):
        memo += f"(指定快递 {courier_name(str(payload['courier_hint']))})"
    return {
        "tid": tid,
        "trade_status": PAID,
        "pay_status": 2,
        "delivery_term": 1,
        "trade_time": when,
        "pay_time": when,
        "buyer_nick": str(payload.get("platform_order_no") or tid),
        "receiver_name": receiver.get("name") or "",
        "receiver_province": receiver.get("province") or "",
        "receiver_city": receiver.get("city") or "",
        "receiver_district": receiver.get("district") or "",
        "receiver_address": receiver.get("address") or "",
        "receiver_mobile": receiver.get("phone") or "",
        "logistics_type": -1,
        "seller_memo": memo[:1024],
        "post_amount": 0,
        "cod_amount": 0,
        "ext_cod_fee": 0,
        "other_amount": 0,
        "paid": 0,
        "order_list": [_line(tid, index, item) for index, item in enumerate(payload.get("items") or [])],
    }


def _line(tid: str, index: int, item: dict[str, Any]) -> dict[str, Any]:
    code = item.get("sku_code") or item["title"][:40]
    return {
        "oid": f"{tid}-{index}",
        "num": int(item["quantity"]),
        "price": 0,
        "status": PAID,
        "refund_status": 0,
        "goods_id": code,
        "spec_id": code,
        "goods_no": item.get("sku_code") or "",
        "spec_no": code,
        "goods_name": item["title"],
        "adjust_amount": 0,
        "discount": 0,
        "share_discount": 0,
    }


def push(account: ConnectorAccount, payload: dict[str, Any], reshipment: Reshipment) -> None:
    session = object_session(reshipment)
    assert session is not None
    params = {
        "shop_no": shop_no(account, get_policy(session, reshipment.shop_id).erp_shop_no),
        "trade_list": as_json([trade(payload, reshipment.created_at)]),
    }
    reply = call(account, TRADE_PUSH, params)
    if int(reply.get("new_count") or 0) + int(reply.get("chg_count") or 0) < 1:
        reason = reply.get("message") or "无说明"
        raise ProviderError(f"旺店通未接收补发单 {payload['out_order_no']}: {reason}")


erp_sync.register_erp(Provider.WANGDIANTONG, provider=Provider.WANGDIANTONG, push=push)


def pull_shipped(session: Session, *, limit: int = 200) -> dict[str, int]:
    """Drain each shop's waiting shipments (only shops with reshipments waiting for a waybill):
    ours become parcels, and every record is acknowledged so 旺店通 stops offering it."""
    counts = {"shipped": 0, "waiting": 0, "failed": 0}
    batches = erp_sync.awaiting(
        session, erp_format=Provider.WANGDIANTONG, provider=Provider.WANGDIANTONG, limit=limit
    )
    for batch in batches:
        try:
            number = shop_no(batch.account, get_policy(session, batch.shop_id).erp_shop_no)
            _drain(session, batch.account, number, counts)
        except ProviderError as exc:
            service.record_failure(batch.account, exc.message)
            counts["failed"] += 1
            continue
        service.record_success(batch.account)
        counts["waiting"] += sum(r.status == ReshipmentStatus.PUSHING for r in batch.reshipments)
    return counts


def _drain(session: Session, account: ConnectorAccount, number: str, counts: dict[str, int]) -> None:
    for _ in range(MAX_PAGES):
        params = {"shop_no": number, "limit": str(SYNC_LIMIT)}
        trades: list[dict[str, Any]] = call(account, SYNC_QUERY, params).get("trades") or []
        acks = [_take(session, account, record, counts) for record in trades]
        for start in range(0, len(acks), ACK_BATCH):
            _acknowledge(account, acks[start : start + ACK_BATCH])
        if len(trades) < SYNC_LIMIT:
            return


def _take(
    session: Session, account: ConnectorAccount, record: dict[str, Any], counts: dict[str, int]
) -> dict[str, Any]:
    """One waiting shipment: ours (a 旺店通 reshipment) back-fills its waybill; anything else is
    acknowledged as not synced, with the reason 旺店通 shows on its 物流同步 page."""
    tid = str(record.get("tid") or "")
    reshipment_id = erp.parse_out_order_no(tid)
    reshipment = session.get(Reshipment, reshipment_id) if reshipment_id else None
    if reshipment is None or reshipment.erp_format != Provider.WANGDIANTONG:
        return _ack(record, ACK_FAILED, "不是售后系统推送的补发单,未同步")
    shipped = erp_sync.Shipped(
        out_order_no=tid,
        courier=str(record.get("logistics_name_erp") or record.get("logistics_name") or ""),
        tracking_no=str(record.get("logistics_no") or ""),
        shipped_at=wire.parse_local(record.get("consign_time")),
    )
    was_waiting = reshipment.status == ReshipmentStatus.PUSHING
    reason = erp_sync.record_shipped(session, account, shipped)
    if reason is not None:
        counts["failed"] += 1
        return _ack(record, ACK_FAILED, reason[:255])
    counts["shipped"] += was_waiting
    return _ack(record, ACK_OK, "同步成功")


def _ack(record: dict[str, Any], status: int, message: str) -> dict[str, Any]:
    return {"rec_id": record.get("rec_id"), "status": status, "message": message}


def _acknowledge(account: ConnectorAccount, acks: list[dict[str, Any]]) -> None:
    errors = call(account, SYNC_ACK, {"logistics_list": as_json(acks)}).get("errors") or []
    if errors:
        listed = ";".join(f"{error.get('rec_id')}: {error.get('error')}" for error in errors[:5])
        service.record_failure(account, f"旺店通未接受物流同步回写: {listed}")


def check_connection(session: Session, account: ConnectorAccount) -> str:
    """测试连接: a signed 查询物流同步 of one record proves sid, appkey and appsecret; it consumes
    nothing (a record leaves the queue only when acknowledged)."""
    params = {"limit": "1"}
    if account.settings.get("shop_no"):
        params["shop_no"] = str(account.settings["shop_no"])
    reply = call(account, SYNC_QUERY, params)
    return f"凭证有效,待同步物流 {int(reply.get('total_count') or 0)} 条"


service.register_check(Provider.WANGDIANTONG, check_connection)
