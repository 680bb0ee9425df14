"""抖店 (Douyin shop open platform, 抖店开放平台): orders and after-sales, incrementally.

Built to 抖店开放平台's published protocol: "签名算法" and "接口调用说明" (op.jinritemai.com
/docs/guide-docs/10/23 and /docs/guide-docs/10/22), the API references of ``order.searchList``
(/docs/api-docs/15/1342) and ``afterSale.List`` (/docs/api-docs/17/1805), and the official SDKs'
client (as in github.com/cnJun/sdk4-jinritemai ``DefaultDoudianClient``):

- ``POST https://openapi-fxg.jinritemai.com/{method with dots as slashes}`` with the common
  parameters in the query string: ``app_key``, ``method``, ``access_token`` (the shop's 授权),
  ``timestamp`` (``yyyy-MM-dd HH:mm:ss``, GMT+8), ``v=2``, ``sign_method`` (``hmac-sha256`` or
  ``md5``) and ``sign``; the business parameters are ``param_json``, a JSON object with its keys
  sorted, no spaces and Chinese unescaped, sent as the body.
- Signature: ``secret + "app_key" + key + "method" + method + "param_json" + param_json +
  "timestamp" + timestamp + "v" + "2" + secret``; ``hmac-sha256`` is its lower-case hex
  HMAC-SHA256 keyed by the secret, ``md5`` its lower-case hex MD5 (``access_token`` and
  ``sign_method`` take no part).
- Answers: ``{"code": 10000, "msg": "success", "data": {...}, "sub_code", "sub_msg", "log_id"}``;
  any other code is an error. We retry later on 20000 (服务不可用) and 90000 (限流) and when
  ``sub_code`` names a limit (``isv.access-limit``...); 30001/30002 (access_token 无效或过期) and
  40004/40006 (app_key, 签名) are the account's to fix.
- ``order.searchList``: ``update_time_start``/``update_time_end`` (unix seconds), ``page`` from 0,
  ``size`` ≤ 100, ``order_by=update_time``; answers ``shop_order_list`` and ``total``. Amounts are
  in fen. ``afterSale.List``: ``update_start_time``/``update_end_time``, ``page`` from 0, ``size``;
  answers ``items`` (``aftersale_info`` + ``order_info``) and ``has_more``.
- Targeted reads for pushed messages (``douyin_push.py``): ``order.orderDetail`` with
  ``shop_order_id`` answers ``shop_order_detail``, a row of ``order.searchList``'s shape;
  ``afterSale.List`` filtered by ``aftersale_id`` answers the one after-sale in the sync's shape.
- Receiver fields arrive encrypted (``#...#`` ciphertext, to be decrypted with
  ``order.batchDecrypt`` under the platform's data-security rules); we keep none of them then.

抖店 publishes no sandbox gateway (it offers test shops on the production one), so a test server
goes in the account's ``endpoint`` setting.
"""

import json
from datetime import datetime, timedelta
from typing import Any

from aftersales.connectors import service, signing, wire
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.connectors.platform_sync import Page, Platform, Row, register_platform
from aftersales.kit.time import SHANGHAI, as_utc, utcnow
from aftersales.orders.couriers import courier_code
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderIn, OrderItemIn, ShipmentIn

ORDERS = "order.searchList"
ORDER_DETAIL = "order.orderDetail"
AFTERSALES = "afterSale.List"
PAGE_SIZE = 100
WINDOW = timedelta(days=1)
OK = 10000
RETRY_CODES = frozenset({20000, 90000})
ORDER_STATUS = {
    1: OrderStatus.PENDING_PAYMENT,
    105: OrderStatus.PAID,
    2: OrderStatus.PAID,
    101: OrderStatus.SHIPPED,
    3: OrderStatus.SHIPPED,
    4: OrderStatus.CLOSED,
    5: OrderStatus.COMPLETED,
}
# aftersale_type: 0 退货退款, 1 已发货仅退款, 2 未发货仅退款, 3 换货
AFTERSALE_KIND = {0: "退货退款", 1: "仅退款", 2: "仅退款", 3: "换货"}
CLOSED_AFTERSALE = frozenset({27, 28})  # 拒绝售后申请, 售后关闭/失败: nothing to stop or refund


def param_json(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sign(*, app_key: str, secret: str, method: str, params: str, timestamp: str, sign_method: str) -> str:
    common = {"app_key": app_key, "method": method, "param_json": params, "timestamp": timestamp, "v": "2"}
    text = f"{secret}{signing.joined(common)}{secret}"
    if sign_method == "md5":
        return signing.md5_hex(text)
    return signing.hmac_hex(secret, text, "sha256")


def signed_query(
    *, app_key: str, secret: str, token: str, method: str, params: str, now: datetime, sign_method: str
) -> dict[str, str]:
    timestamp = now.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    signature = sign(
        app_key=app_key,
        secret=secret,
        method=method,
        params=params,
        timestamp=timestamp,
        sign_method=sign_method,
    )
    return {
        "app_key": app_key,
        "method": method,
        "access_token": token,
        "timestamp": timestamp,
        "v": "2",
        "sign_method": sign_method,
        "sign": signature,
    }


def read_reply(reply: dict[str, Any]) -> dict[str, Any]:
    code = int(reply.get("code") or reply.get("err_no") or 0)
    if code == OK:
        data = reply.get("data")
        return data if isinstance(data, dict) else {}
    sub_code = str(reply.get("sub_code") or "")
    text = f"抖店 {code} {reply.get('msg', '')} {sub_code} {reply.get('sub_msg', '')}".strip()
    retry = code in RETRY_CODES or "limit" in sub_code
    raise ProviderError(text, code=str(code), retry=retry)


def call(account: ConnectorAccount, method: str, params: dict[str, Any]) -> dict[str, Any]:
    creds = service.credentials(account)
    body = param_json(params)
    query = signed_query(
        app_key=creds["app_key"],
        secret=creds["app_secret"],
        token=creds["access_token"],
        method=method,
        params=body,
        now=utcnow(),
        sign_method=str(account.settings.get("sign_method") or "hmac-sha256"),
    )
    url = f"{service.endpoint(account)}/{method.replace('.', '/')}"
    response = service.request(
        "POST", url, params=query, content=body.encode(), headers={"Content-Type": "application/json"}
    )
    reply = wire.json_reply(response, "抖店")
    return read_reply(reply)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _time(value: Any) -> datetime | None:
    return as_utc(datetime.fromtimestamp(int(value), SHANGHAI)) if value else None


def fetch_orders(account: ConnectorAccount, start: datetime, end: datetime, page: int) -> Page:
    params = {
        "update_time_start": _epoch(start),
        "update_time_end": _epoch(end),
        "page": page,
        "size": PAGE_SIZE,
        "order_by": "update_time",
    }
    data = call(account, ORDERS, params)
    rows = [row for row in data.get("shop_order_list") or [] if isinstance(row, dict)]
    return Page(rows, (page + 1) * PAGE_SIZE < int(data.get("total") or 0))


def _aftersale_page(account: ConnectorAccount, params: dict[str, Any]) -> Page:
    data = call(account, AFTERSALES, params)
    rows = [
        {**(item.get("aftersale_info") or {}), "order_info": item.get("order_info") or {}}
        for item in data.get("items") or []
        if isinstance(item, dict)
    ]
    return Page(rows, bool(data.get("has_more")))


def fetch_aftersales(account: ConnectorAccount, start: datetime, end: datetime, page: int) -> Page:
    params = {
        "update_start_time": _epoch(start),
        "update_end_time": _epoch(end),
        "page": page,
        "size": PAGE_SIZE,
        "order_by": ["update_time asc"],
    }
    return _aftersale_page(account, params)


def fetch_order(account: ConnectorAccount, order_id: str) -> list[Row]:
    """One order by its 店铺单号, for a pushed order message; none when 抖店 has no such order."""
    detail = call(account, ORDER_DETAIL, {"shop_order_id": order_id}).get("shop_order_detail")
    return [detail] if isinstance(detail, dict) and detail.get("order_id") else []


def fetch_aftersale(account: ConnectorAccount, aftersale_id: str) -> list[Row]:
    """One after-sale by its id, for a pushed after-sale message."""
    return _aftersale_page(account, {"aftersale_id": aftersale_id, "page": 0, "size": 1}).rows


def _plain(value: Any) -> str | None:
    """Encrypted receiver fields (``#...#``) are not kept."""
    text = str(value or "")
    return text if text and not text.startswith("#") else None


def to_order(row: Row, shop_code: str) -> OrderIn:
    address = row.get("post_addr") or {}
    place = {key: (address.get(key) or {}).get("name") for key in ("province", "city", "town")}
    return OrderIn(
        shop_code=shop_code,
        order_no=str(row["order_id"]),
        buyer_nick=str(row.get("user_nick") or row.get("doudian_open_id") or row["order_id"])[:64],
        status=ORDER_STATUS.get(int(row.get("order_status") or 2), OrderStatus.PAID),
        total_fen=int(row.get("order_amount") or row.get("pay_amount") or 0),
        paid_fen=int(row.get("pay_amount") or 0),
        postage_fen=int(row.get("post_amount") or 0),
        receiver_name=_plain(row.get("post_receiver")),
        receiver_phone=_plain(row.get("post_tel")),
        province=place["province"],
        city=place["city"],
        district=place["town"],
        address=_plain(address.get("detail")),
        buyer_message=row.get("buyer_words") or None,
        seller_note=row.get("seller_words") or None,
        ordered_at=_time(row.get("create_time")) or utcnow(),
        paid_at=_time(row.get("pay_time")),
        items=[
            OrderItemIn(
                sku_code=line.get("out_sku_id") or line.get("code") or None,
                title=str(line.get("product_name") or "")[:255] or "商品",
                quantity=int(line.get("item_num") or 1),
                unit_price_fen=int(line.get("goods_price") or 0),
            )
            for line in row.get("sku_order_list") or []
        ],
    )


def to_shipments(row: Row, shop_code: str) -> list[ShipmentIn]:
    parcels: dict[tuple[str, str], ShipmentIn] = {}
    for info in row.get("logistics_info") or []:
        number, shipped_at = str(info.get("tracking_no") or ""), _time(info.get("ship_time"))
        try:
            courier = courier_code(str(info.get("company_name") or ""))
        except KeyError:
            continue
        if number and shipped_at:
            parcels[(courier, number)] = ShipmentIn(
                shop_code=shop_code,
                order_no=str(row["order_id"]),
                courier=courier,
                tracking_no=number,
                shipped_at=shipped_at,
            )
    return list(parcels.values())


def to_refund_row(row: Row, shop_code: str) -> Row | None:
    """An after-sale in the columns of a 退款 export; None for one refused or closed."""
    if int(row.get("aftersale_status") or 0) in CLOSED_AFTERSALE:
        return None
    lines = (row.get("order_info") or {}).get("related_order_info") or [{}]
    applied = _time(row.get("apply_time"))
    return {
        "店铺编码": shop_code,
        "订单号": str((row.get("order_info") or {}).get("shop_order_id") or ""),
        "退款编号": str(row.get("aftersale_id") or ""),
        "售后类型": AFTERSALE_KIND.get(int(row.get("aftersale_type") or 0), "退货退款"),
        "退款原因": row.get("reason") or "其他",
        "商家编码": lines[0].get("shop_sku_code"),
        "数量": lines[0].get("aftersale_item_num"),
        "退款金额": f"{int(row.get('refund_amount') or 0) / 100:.2f}",
        "申请时间": applied.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if applied else None,
        "退货物流公司": row.get("return_logistics_company_name"),
        "退货运单号": row.get("return_logistics_code"),
    }


def check(account: ConnectorAccount) -> str:
    """测试连接: the last hour's orders, which needs the key, the secret, the shop's access_token
    and the order permission the sync uses."""
    now = utcnow()
    page = fetch_orders(account, now - timedelta(hours=1), now, 0)
    return f"凭证有效,最近一小时更新的订单 {len(page.rows)} 笔"


register_platform(
    Platform(
        provider=Provider.DOUYIN,
        window=WINDOW,
        trade_key="order_id",
        trades=fetch_orders,
        refunds=fetch_aftersales,
        order=to_order,
        shipments=to_shipments,
        refund_row=to_refund_row,
        check=check,
        first_page=0,
        trade_by_id=fetch_order,
        refund_by_id=fetch_aftersale,
    )
)
