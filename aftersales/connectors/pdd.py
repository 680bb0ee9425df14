"""拼多多 开放平台 (PDD open platform): orders and after-sales, incrementally.

Built to 拼多多开放平台's published protocol: "API调用说明 / 签名规则" (open.pinduoduo.com
/application/document/browse?idStr=... "调用说明") and the API references of
``pdd.order.number.list.increment.get``, ``pdd.refund.list.increment.get`` and
``pdd.logistics.companies.get`` (as the official SDK, ``pop-sdk`` ``PopHttpClient``, calls them):

- ``POST https://gw-api.pinduoduo.com/api/router``, form with the common parameters ``type`` (the
  API name), ``client_id``, ``access_token`` (the shop's 授权), ``timestamp`` (unix seconds),
  ``data_type=JSON``, ``version=V1`` and ``sign``.
- Signature: every parameter except ``sign`` sorted by name, ``name + value`` concatenated,
  wrapped in the client secret on both sides, upper-case hex MD5 — TOP's ``md5`` method
  (``signing.wrapped_md5``).
- Answers: ``{"<api>_response": {...}}`` named per API (``order_sn_increment_get_response``,
  ``refund_increment_get_response``, ``logistics_companies_get_response``) or
  ``{"error_response": {"error_code", "error_msg", "sub_code", "sub_msg"}}``. We retry later on
  70031 (调用过于频繁) and the 5xxxx service errors; 10019 (access_token 过期) and 20004/20005
  (client_id, 签名) are the account's to fix.
- Both increment APIs take ``start_updated_at``/``end_updated_at`` (unix seconds) at most 30
  minutes apart, ``page`` from 1 and ``page_size`` ≤ 100; orders page with ``use_has_next``,
  after-sales by ``total_count``. Order amounts are in yuan, refund amounts in fen; a parcel names
  its courier by ``logistics_id``, resolved with ``pdd.logistics.companies.get``.

拼多多 publishes no sandbox gateway, so a test server goes in the account's ``endpoint`` setting.
"""

from datetime import datetime, timedelta
from typing import Any

from aftersales.connectors import service, signing, wire
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.connectors.platform_sync import Page, Platform, Row, register_platform
from aftersales.kit.time import utcnow
from aftersales.orders.couriers import courier_code
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderIn, OrderItemIn, ShipmentIn

ORDERS = "pdd.order.number.list.increment.get"
REFUNDS = "pdd.refund.list.increment.get"
COMPANIES = "pdd.logistics.companies.get"
RESPONSE_KEYS = {
    ORDERS: "order_sn_increment_get_response",
    REFUNDS: "refund_increment_get_response",
    COMPANIES: "logistics_companies_get_response",
}
WINDOW = timedelta(minutes=30)
PAGE_SIZE = 100
RETRY_CODES = frozenset({70031})
CREDENTIAL_CODES = frozenset({10019, 20004, 20005})
ORDER_STATUS = {1: OrderStatus.PAID, 2: OrderStatus.SHIPPED, 3: OrderStatus.COMPLETED}
# after_sales_type: 2 仅退款, 3 退货退款, 4 换货; after_sales_status closed without a refund:
# 9 平台拒绝退款, 11 买家撤销, 12/13 买家逾期
REFUND_KIND = {2: "仅退款", 3: "退货退款", 4: "换货"}
CLOSED_REFUND = frozenset({9, 11, 12, 13})

_companies: dict[str, dict[int, str]] = {}  # endpoint -> logistics_id -> company name


def signed_form(
    *, client_id: str, secret: str, token: str, api: str, params: dict[str, str], now: datetime
) -> dict[str, str]:
    form = {
        "type": api,
        "client_id": client_id,
        "access_token": token,
        "timestamp": str(int(now.timestamp())),
        "data_type": "JSON",
        "version": "V1",
        **params,
    }
    return {**form, "sign": signing.wrapped_md5(form, secret)}


def read_reply(reply: dict[str, Any], api: str) -> dict[str, Any]:
    error = reply.get("error_response")
    if isinstance(error, dict):
        code = int(error.get("error_code") or 0)
        text = f"拼多多 {code} {error.get('error_msg', '')} {error.get('sub_msg') or ''}".strip()
        retry = code in RETRY_CODES or code >= 50000
        raise ProviderError(text, code=str(code), retry=retry and code not in CREDENTIAL_CODES)
    body = reply.get(RESPONSE_KEYS[api])
    if not isinstance(body, dict):
        raise ProviderError(f"拼多多 {api} 的应答没有约定的结构")
    return body


def call(account: ConnectorAccount, api: str, params: dict[str, str]) -> dict[str, Any]:
    creds = service.credentials(account)
    form = signed_form(
        client_id=creds["client_id"],
        secret=creds["client_secret"],
        token=creds["access_token"],
        api=api,
        params=params,
        now=utcnow(),
    )
    response = service.request("POST", service.endpoint(account), data=form)
    reply = wire.json_reply(response, "拼多多")
    return read_reply(reply, api)


def _window(start: datetime, end: datetime, page: int) -> dict[str, str]:
    return {
        "start_updated_at": str(int(start.timestamp())),
        "end_updated_at": str(int(end.timestamp())),
        "page": str(page),
        "page_size": str(PAGE_SIZE),
    }


def fetch_orders(account: ConnectorAccount, start: datetime, end: datetime, page: int) -> Page:
    params = {**_window(start, end, page), "is_lucky_flag": "0", "order_status": "5", "refund_status": "5"}
    body = call(account, ORDERS, {**params, "use_has_next": "true"})
    rows = [row for row in body.get("order_sn_list") or [] if isinstance(row, dict)]
    names = _company_names(account) if any(row.get("logistics_id") for row in rows) else {}
    for row in rows:
        row["logistics_company"] = names.get(int(row.get("logistics_id") or 0))
    return Page(rows, bool(body.get("has_next")))


def fetch_refunds(account: ConnectorAccount, start: datetime, end: datetime, page: int) -> Page:
    params = {**_window(start, end, page), "after_sales_status": "1", "after_sales_type": "1"}
    body = call(account, REFUNDS, params)
    rows = [row for row in body.get("refund_list") or [] if isinstance(row, dict)]
    return Page(rows, page * PAGE_SIZE < int(body.get("total_count") or 0))


def _company_names(account: ConnectorAccount) -> dict[int, str]:
    """Fetched once per endpoint and process: the list changes rarely and costs a call."""
    key = service.endpoint(account)
    if key not in _companies:
        body = call(account, COMPANIES, {})
        _companies[key] = {
            int(item["id"]): str(item.get("logistics_company") or "")
            for item in body.get("logistics_companies") or []
            if isinstance(item, dict) and item.get("id") is not None
        }
    return _companies[key]


def to_order(row: Row, shop_code: str) -> OrderIn:
    return OrderIn(
        shop_code=shop_code,
        order_no=str(row["order_sn"]),
        buyer_nick=str(row["order_sn"]),
        status=ORDER_STATUS.get(int(row.get("order_status") or 1), OrderStatus.PAID),
        total_fen=wire.fen(row.get("goods_amount") or row.get("pay_amount")) + wire.fen(row.get("postage")),
        paid_fen=wire.fen(row.get("pay_amount")),
        postage_fen=wire.fen(row.get("postage")),
        receiver_name=row.get("receiver_name") or None,
        receiver_phone=row.get("receiver_phone") or None,
        province=row.get("province") or None,
        city=row.get("city") or None,
        district=row.get("town") or None,
        address=row.get("address") or None,
        buyer_message=row.get("buyer_memo") or None,
        seller_note=row.get("remark") or None,
        ordered_at=wire.parse_local(row.get("created_time")) or utcnow(),
        paid_at=wire.parse_local(row.get("pay_time")),
        items=[
            OrderItemIn(
                sku_code=line.get("outer_id") or None,
                title=str(line.get("goods_name") or "")[:255] or "商品",
                quantity=int(line.get("goods_count") or 1),
                unit_price_fen=wire.fen(line.get("goods_price")),
            )
            for line in row.get("item_list") or []
        ],
    )


def to_shipments(row: Row, shop_code: str) -> list[ShipmentIn]:
    number, shipped_at = str(row.get("tracking_number") or ""), wire.parse_local(row.get("shipping_time"))
    try:
        courier = courier_code(str(row.get("logistics_company") or ""))
    except KeyError:
        return []
    if not number or shipped_at is None:
        return []
    return [
        ShipmentIn(
            shop_code=shop_code,
            order_no=str(row["order_sn"]),
            courier=courier,
            tracking_no=number,
            shipped_at=shipped_at,
        )
    ]


def to_refund_row(row: Row, shop_code: str) -> Row | None:
    """An after-sale in the columns of a 退款 export; None for one closed without a refund."""
    if int(row.get("after_sales_status") or 0) in CLOSED_REFUND:
        return None
    return {
        "店铺编码": shop_code,
        "订单号": str(row.get("order_sn") or ""),
        "退款编号": str(row.get("id") or ""),
        "售后类型": REFUND_KIND.get(int(row.get("after_sales_type") or 2), "仅退款"),
        "退款原因": row.get("after_sale_reason") or "其他",
        "商家编码": row.get("outer_id"),
        "数量": row.get("goods_number"),
        "退款金额": f"{int(row.get('refund_amount') or 0) / 100:.2f}",
        "申请时间": row.get("created_time"),
        "退货物流公司": row.get("shipping_name"),
        "退货运单号": row.get("tracking_number"),
    }


def check(account: ConnectorAccount) -> str:
    """测试连接: the last half hour's orders, with the key, secret and the shop's access_token."""
    now = utcnow()
    page = fetch_orders(account, now - WINDOW, now, 1)
    return f"凭证有效,最近半小时更新的订单 {len(page.rows)} 笔"


register_platform(
    Platform(
        provider=Provider.PDD,
        window=WINDOW,
        trade_key="order_sn",
        trades=fetch_orders,
        refunds=fetch_refunds,
        order=to_order,
        shipments=to_shipments,
        refund_row=to_refund_row,
        check=check,
    )
)
