"""淘宝/天猫 开放平台 (TOP) REST API: request signing, trades sold incrementally, refunds received,
the reviews the shop received and the seller's explanation of one.

Built to TOP's published protocol, "API调用方法详解" (open.taobao.com / api.1688.com
doc2 articleId=101617) and the API references of ``taobao.trades.sold.increment.get``,
``taobao.refunds.receive.get``, ``taobao.trade.fullinfo.get``, ``taobao.refund.get``,
``taobao.user.seller.get``, ``taobao.traderates.get`` and ``taobao.traderate.explain.add``:

- ``POST https://gw.api.taobao.com/router/rest`` (沙箱 ``https://gw.api.tbsandbox.com/router/rest``),
  form with the common parameters ``method``, ``app_key``, ``session`` (the shop's 授权 session
  key), ``timestamp`` (``yyyy-MM-dd HH:mm:ss`` GMT+8; the gateway allows 10 minutes of clock
  error), ``format=json``, ``v=2.0``, ``sign_method`` (``md5`` or ``hmac``) and ``sign``.
- Signature: sort every parameter except ``sign`` by name, concatenate ``name + value`` of the
  non-empty ones; ``md5``: upper-case hex MD5 of ``secret + that + secret``; ``hmac``: upper-case
  hex HMAC-MD5 keyed by the secret. The document's example (app_key 12345678, secret helloworld,
  taobao.item.seller.get, 2016-01-01 12:00:00) signs to ``66987CB115214E59E6EC978214934FB8``;
  ``tests/connectors/test_taobao.py`` checks exactly that.
- Answers: ``{"<method without taobao., dots as _>_response": {...}}`` or
  ``{"error_response": {"code", "msg", "sub_code", "sub_msg"}}``; code 7 (App Call Limited,
  ``accesscontrol.limited-by-app-access-count``) and ``isp.*`` sub-codes are worth retrying
  later, 25 (Invalid signature), 26/27 (session missing/invalid), 28/29 (app key) are not.
- The increment APIs take ``start_modified``/``end_modified`` no more than one day apart and page
  with ``page_no``, ``page_size`` (≤ 100) and ``use_has_next=true`` (the answer's ``has_next``).
- ``taobao.trade.fullinfo.get`` (``tid``) and ``taobao.refund.get`` (``refund_id``) read one trade or
  one refund with the same ``fields`` (answers ``trade`` / ``refund``): what a 消息服务 (TMC)
  message names is read in full with them (``taobao_tmc.py``).
- ``taobao.traderates.get`` (搜索评价信息, the last 180 days): ``rate_type=get`` + ``role=buyer`` is
  what the seller received from buyers; ``start_date``/``end_date`` bound ``created``, ``page_size``
  ≤ 150, ``page_no`` ≤ 200, ``use_has_next=true``; answers ``trade_rates.trade_rate`` with ``tid``,
  ``oid`` (the sub-order: one buyer rate per sub-order, so it is the review's id), ``result``
  (good/neutral/bad), ``content``, ``created``, ``nick``. A rate has no stars: good is 5, neutral
  3, bad 1, which is how the reviews domain triages 好评/中评/差评.
- ``taobao.traderate.explain.add`` (评价解释): ``oid`` and ``reply`` (at most 500 characters);
  answers ``is_success``. TOP refuses it after the buyer's follow-up review or after 30 days.
"""

from datetime import datetime, timedelta
from typing import Any

from aftersales.connectors import service, signing, wire
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.connectors.platform_sync import Fetch, Page, Platform, register_platform
from aftersales.kit.time import SHANGHAI, utcnow
from aftersales.orders.couriers import courier_code
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderIn, OrderItemIn, ShipmentIn

PRODUCTION_URL = "https://gw.api.taobao.com/router/rest"
SANDBOX_URL = "https://gw.api.tbsandbox.com/router/rest"
MAX_WINDOW = timedelta(days=1)
PAGE_SIZE = 100
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

TRADES = "taobao.trades.sold.increment.get"
REFUNDS = "taobao.refunds.receive.get"
TRADE = "taobao.trade.fullinfo.get"
REFUND = "taobao.refund.get"
SELLER = "taobao.user.seller.get"
RATES = "taobao.traderates.get"
EXPLAIN = "taobao.traderate.explain.add"
RATE_FIELDS = "tid,oid,role,nick,result,created,rated_nick,item_title,content,reply"
RATE_PAGE_SIZE = 150
RATE_STARS = {"good": 5, "neutral": 3, "bad": 1}
EXPLAIN_LIMIT = 500
TRADE_FIELDS = (
    "tid,status,buyer_nick,payment,total_fee,post_fee,created,pay_time,consign_time,receiver_name,"
    "receiver_mobile,receiver_state,receiver_city,receiver_district,receiver_address,buyer_message,"
    "seller_memo,invoice_name,orders.oid,orders.title,orders.num,orders.price,orders.outer_sku_id,"
    "orders.logistics_company,orders.invoice_no"
)
REFUND_FIELDS = (
    "refund_id,tid,oid,status,created,modified,refund_fee,reason,desc,num,has_good_return,"
    "good_status,outer_id,company_name,sid"
)
RETRY_CODES = frozenset({7})
CREDENTIAL_CODES = frozenset({25, 26, 27, 28, 29})
TRADE_STATUS = {
    "TRADE_NO_CREATE_PAY": OrderStatus.PENDING_PAYMENT,
    "WAIT_BUYER_PAY": OrderStatus.PENDING_PAYMENT,
    "PAY_PENDING": OrderStatus.PENDING_PAYMENT,
    "WAIT_SELLER_SEND_GOODS": OrderStatus.PAID,
    "SELLER_CONSIGNED_PART": OrderStatus.SHIPPED,
    "WAIT_BUYER_CONFIRM_GOODS": OrderStatus.SHIPPED,
    "TRADE_BUYER_SIGNED": OrderStatus.SHIPPED,
    "TRADE_FINISHED": OrderStatus.COMPLETED,
    "TRADE_CLOSED": OrderStatus.CLOSED,
    "TRADE_CLOSED_BY_TAOBAO": OrderStatus.CLOSED,
}
CANCELLED_REFUND = "CLOSED"


def sign(params: dict[str, str], secret: str, method: str = "md5") -> str:
    if method == "hmac":
        return signing.hmac_hex(secret, signing.joined(params), "md5").upper()
    return signing.wrapped_md5(params, secret)


def local_time(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime(TIME_FORMAT)


def signed_form(
    *,
    app_key: str,
    secret: str,
    session_key: str,
    method: str,
    params: dict[str, str],
    now: datetime,
    sign_method: str = "md5",
) -> dict[str, str]:
    form = {
        "method": method,
        "app_key": app_key,
        "session": session_key,
        "timestamp": local_time(now),
        "format": "json",
        "v": "2.0",
        "sign_method": sign_method,
        **params,
    }
    return {**form, "sign": sign(form, secret, sign_method)}


def read_reply(reply: dict[str, Any], method: str) -> dict[str, Any]:
    error = reply.get("error_response")
    if isinstance(error, dict):
        code = int(error.get("code") or 0)
        sub_code = str(error.get("sub_code") or "")
        text = f"淘宝 {code} {error.get('msg', '')} {sub_code} {error.get('sub_msg', '')}".strip()
        retry = code in RETRY_CODES or sub_code.startswith("isp.")
        raise ProviderError(text, code=str(code), retry=retry and code not in CREDENTIAL_CODES)
    body = reply.get(method.removeprefix("taobao.").replace(".", "_") + "_response")
    if not isinstance(body, dict):
        raise ProviderError(f"淘宝 {method} 的应答没有约定的结构")
    return body


def window_params(start: datetime, end: datetime, page_no: int, fields: str) -> dict[str, str]:
    return {
        "fields": fields,
        "start_modified": local_time(start),
        "end_modified": local_time(end),
        "page_no": str(page_no),
        "page_size": str(PAGE_SIZE),
        "use_has_next": "true",
    }


def listed(body: dict[str, Any], outer: str, inner: str) -> list[dict[str, Any]]:
    container = body.get(outer) or {}
    rows = container.get(inner) if isinstance(container, dict) else None
    return [row for row in rows or [] if isinstance(row, dict)]


def trade_order(trade: dict[str, Any], shop_code: str) -> OrderIn:
    """A TOP trade as an order; times are GMT+8 wall time."""
    lines = listed(trade, "orders", "order")
    return OrderIn(
        shop_code=shop_code,
        order_no=str(trade["tid"]),
        buyer_nick=str(trade.get("buyer_nick") or trade["tid"]),
        status=TRADE_STATUS.get(str(trade.get("status")), OrderStatus.PAID),
        total_fen=wire.fen(trade.get("total_fee") or trade.get("payment")),
        paid_fen=wire.fen(trade.get("payment")),
        postage_fen=wire.fen(trade.get("post_fee")),
        receiver_name=trade.get("receiver_name"),
        receiver_phone=trade.get("receiver_mobile"),
        province=trade.get("receiver_state"),
        city=trade.get("receiver_city"),
        district=trade.get("receiver_district"),
        address=trade.get("receiver_address"),
        buyer_message=trade.get("buyer_message"),
        seller_note=trade.get("seller_memo"),
        invoice_title=trade.get("invoice_name"),
        ordered_at=wire.parse_local(trade.get("created")) or utcnow(),
        paid_at=wire.parse_local(trade.get("pay_time")),
        items=[
            OrderItemIn(
                sku_code=line.get("outer_sku_id") or None,
                title=str(line.get("title") or "")[:255] or "商品",
                quantity=int(line.get("num") or 1),
                unit_price_fen=wire.fen(line.get("price")),
            )
            for line in lines
        ],
    )


def trade_shipments(trade: dict[str, Any], shop_code: str) -> list[ShipmentIn]:
    """The parcels a shipped trade names (one per distinct company + waybill number)."""
    shipped_at = wire.parse_local(trade.get("consign_time"))
    parcels: dict[tuple[str, str], ShipmentIn] = {}
    for line in listed(trade, "orders", "order"):
        number, company = str(line.get("invoice_no") or ""), str(line.get("logistics_company") or "")
        if not number or not company or shipped_at is None:
            continue
        try:
            courier = courier_code(company)
        except KeyError:
            continue
        parcels[(courier, number)] = ShipmentIn(
            shop_code=shop_code,
            order_no=str(trade["tid"]),
            courier=courier,
            tracking_no=number,
            shipped_at=shipped_at,
        )
    return list(parcels.values())


def refund_row(refund: dict[str, Any], shop_code: str) -> dict[str, Any] | None:
    """A TOP refund in the columns of a 淘宝 退款 export, for the returns importer's ``parse_row``;
    None for one the buyer cancelled (``CLOSED``)."""
    if refund.get("status") == CANCELLED_REFUND:
        return None
    return {
        "店铺编码": shop_code,
        "订单号": str(refund.get("tid") or ""),
        "退款编号": str(refund.get("refund_id") or ""),
        "售后类型": "退货退款" if refund.get("has_good_return") in (True, "true") else "仅退款",
        "退款原因": refund.get("reason") or "其他",
        "退款说明": refund.get("desc"),
        "商家编码": refund.get("outer_id"),
        "数量": refund.get("num"),
        "退款金额": refund.get("refund_fee"),
        "申请时间": refund.get("created"),
        "退货物流公司": refund.get("company_name"),
        "退货运单号": refund.get("sid"),
    }


def call(account: ConnectorAccount, method: str, params: dict[str, str]) -> dict[str, Any]:
    creds = service.credentials(account)
    form = signed_form(
        app_key=creds["app_key"],
        secret=creds["app_secret"],
        session_key=creds["session"],
        method=method,
        params=params,
        now=utcnow(),
        sign_method=str(account.settings.get("sign_method") or "md5"),
    )
    response = service.request("POST", service.endpoint(account), data=form)
    reply = wire.json_reply(response, "淘宝")
    return read_reply(reply, method)


def _fetcher(method: str, fields: str, outer: str, inner: str) -> Fetch:
    def fetch(account: ConnectorAccount, start: datetime, end: datetime, page_no: int) -> Page:
        body = call(account, method, window_params(start, end, page_no, fields))
        return Page(listed(body, outer, inner), str(body.get("has_next")).lower() == "true")

    return fetch


def trade_by_id(account: ConnectorAccount, tid: str) -> list[dict[str, Any]]:
    """One trade by its number, for a message that named it."""
    body = call(account, TRADE, {"fields": TRADE_FIELDS, "tid": tid})
    return [body["trade"]] if isinstance(body.get("trade"), dict) else []


def refund_by_id(account: ConnectorAccount, refund_id: str) -> list[dict[str, Any]]:
    """One refund by its number, for a message that named it."""
    body = call(account, REFUND, {"fields": REFUND_FIELDS, "refund_id": refund_id})
    return [body["refund"]] if isinstance(body.get("refund"), dict) else []


def fetch_rates(account: ConnectorAccount, start: datetime, end: datetime, page_no: int) -> Page:
    """One page of the rates buyers gave the shop, created in the window."""
    params = {
        "fields": RATE_FIELDS,
        "rate_type": "get",
        "role": "buyer",
        "start_date": local_time(start),
        "end_date": local_time(end),
        "page_no": str(page_no),
        "page_size": str(RATE_PAGE_SIZE),
        "use_has_next": "true",
    }
    body = call(account, RATES, params)
    return Page(listed(body, "trade_rates", "trade_rate"), str(body.get("has_next")).lower() == "true")


def rate_review(rate: dict[str, Any]) -> dict[str, Any] | None:
    """A buyer's rate in ``ReviewIn``'s field names; None for one without a sub-order or a result."""
    stars, created = RATE_STARS.get(str(rate.get("result"))), wire.parse_local(rate.get("created"))
    if not rate.get("oid") or stars is None or created is None:
        return None
    return {
        "review_id": str(rate["oid"]),
        "order_no": str(rate.get("tid") or "") or None,
        "buyer": rate.get("nick") or None,
        "stars": stars,
        "text": str(rate.get("content") or ""),
        "reviewed_at": created,
    }


def explain_rate(account: ConnectorAccount, *, oid: str, text: str) -> None:
    """The seller's explanation (评价解释) under a buyer's rate; TOP's refusal is a ``ProviderError``."""
    if len(text) > EXPLAIN_LIMIT:
        raise ProviderError(f"评价解释超过 {EXPLAIN_LIMIT} 字,淘宝不接受", retry=False)
    body = call(account, EXPLAIN, {"oid": oid, "reply": text})
    if str(body.get("is_success")).lower() != "true":
        raise ProviderError(f"淘宝 {EXPLAIN} 未成功", retry=False)


def check(account: ConnectorAccount) -> str:
    """测试连接: ``taobao.user.seller.get`` with the shop's session proves key, secret and session."""
    body = call(account, SELLER, {"fields": "nick,user_id"})
    nick = (body.get("user") or {}).get("nick") if isinstance(body.get("user"), dict) else None
    return f"凭证有效,授权店铺 {nick or '(未返回昵称)'}"


register_platform(
    Platform(
        provider=Provider.TAOBAO,
        window=MAX_WINDOW,
        trade_key="tid",
        trades=_fetcher(TRADES, TRADE_FIELDS, "trades", "trade"),
        refunds=_fetcher(REFUNDS, REFUND_FIELDS, "refunds", "refund"),
        order=trade_order,
        shipments=trade_shipments,
        refund_row=refund_row,
        check=check,
        trade_by_id=trade_by_id,
        refund_by_id=refund_by_id,
        reviews=fetch_rates,
        review_row=rate_review,
    )
)
