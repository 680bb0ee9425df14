"""抖店开放平台 gateway as its published protocol behaves, for contract tests: the method in the
path and the query agree, the common parameters are there, the app key and the shop's
access_token are right, the signature (hmac-sha256 or md5 over the documented string, with the
body as ``param_json``) matches, the timestamp is recent; then orders and after-sales are paged
from 0 by ``update_time``, an order is read by ``shop_order_id`` (``order.orderDetail``) and an
after-sale by ``aftersale_id``. ``push_body`` writes 抖店's message push as the guide describes it
(a JSON array, ``data`` as a JSON string) and ``push_sign`` signs it independently. Errors are
the documented ``code``/``sub_code`` answers (30002 token, 40006 signature, 90000 限流)."""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aftersales.kit.time import SHANGHAI, utcnow
from tests.connectors.provider_server import Answer, Call

COMMON = ("app_key", "method", "access_token", "timestamp", "v", "sign_method", "sign")


def doudian_sign(query: dict[str, str], body: str, secret: str) -> str:
    """The document's string, built here independently of the client's code."""
    text = (
        f"{secret}app_key{query['app_key']}method{query['method']}param_json{body}"
        f"timestamp{query['timestamp']}v{query['v']}{secret}"
    )
    if query["sign_method"] == "md5":
        return hashlib.md5(text.encode()).hexdigest()
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


def _answer(code: int, msg: str, data: Any = None, sub_code: str = "") -> Answer:
    body = {"code": code, "msg": msg, "sub_code": sub_code, "sub_msg": "", "log_id": "L1", "data": data or {}}
    return Answer(200, json.dumps(body, ensure_ascii=False).encode())


@dataclass
class FakeDoudian:
    app_key: str
    secret: str
    token: str
    orders: list[dict[str, Any]] = field(default_factory=list)
    aftersales: list[dict[str, Any]] = field(default_factory=list)
    throttle_next: int = 0
    windows: list[tuple[str, int, int]] = field(default_factory=list)

    def __call__(self, call: Call) -> Answer:
        query, body = call.query, call.body.decode()
        if call.method != "POST" or call.path != "/" + query.get("method", "").replace(".", "/"):
            return Answer(404, b"")
        missing = next((name for name in COMMON if not query.get(name)), None)
        if missing:
            return _answer(40001, f"缺少参数 {missing}", sub_code="isv.missing-parameter")
        if query["app_key"] != self.app_key:
            return _answer(40004, "app_key 不存在", sub_code="isv.app-key-invalid")
        if not hmac.compare_digest(query["sign"], doudian_sign(query, body, self.secret)):
            return _answer(40006, "签名错误", sub_code="isv.sign-invalid")
        sent = datetime.strptime(query["timestamp"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI)
        if abs(utcnow() - sent) > timedelta(minutes=10):
            return _answer(40002, "timestamp 已过期", sub_code="isv.timestamp-invalid")
        if query["access_token"] != self.token:
            return _answer(30002, "access_token已过期", sub_code="isv.access-token-expired")
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return _answer(90000, "服务限流", sub_code="isv.access-limit")
        params = json.loads(body)
        if query["method"] == "order.orderDetail":
            return self.detail(str(params.get("shop_order_id") or ""))
        if query["method"] == "afterSale.List" and params.get("aftersale_id"):
            return self.one_aftersale(str(params["aftersale_id"]))
        if query["method"] == "order.searchList":
            return self.page(params, self.orders, "update_time_start", "update_time_end", "shop_order_list")
        if query["method"] == "afterSale.List":
            return self.page(params, self.aftersales, "update_start_time", "update_end_time", "items")
        return _answer(40003, "method 不存在")

    def detail(self, order_id: str) -> Answer:
        found = next((row for row in self.orders if row["order_id"] == order_id), None)
        if found is None:
            return _answer(50002, "订单不存在", sub_code="isv.business-failed:订单不存在")
        return _answer(10000, "success", {"shop_order_detail": found})

    def one_aftersale(self, aftersale_id: str) -> Answer:
        hits = [row for row in self.aftersales if row["aftersale_info"]["aftersale_id"] == aftersale_id]
        return _answer(10000, "success", {"items": hits, "total": len(hits), "has_more": False})

    def page(
        self, params: dict[str, Any], rows: list[dict[str, Any]], start: str, end: str, key: str
    ) -> Answer:
        low, high, page, size = params[start], params[end], int(params["page"]), int(params["size"])
        if not 1 <= size <= 100 or high < low:
            return _answer(40002, "参数错误", sub_code="isv.parameter-invalid")
        self.windows.append((key, low, high))
        hits = [row for row in rows if low <= _updated(row) <= high]
        chunk = hits[page * size : (page + 1) * size]
        return _answer(
            10000, "success", {key: chunk, "total": len(hits), "has_more": (page + 1) * size < len(hits)}
        )


def _updated(row: dict[str, Any]) -> int:
    return int(row.get("update_time") or row["aftersale_info"]["update_time"])


NOW = utcnow().replace(microsecond=0)


def order(
    order_id: str, *, hours_ago: float = 2, shipped: bool = False, company: str = "中通快递"
) -> dict[str, Any]:
    when = int((NOW - timedelta(hours=hours_ago)).timestamp())
    return {
        "order_id": order_id,
        "order_status": 3 if shipped else 2,
        "pay_amount": 39900,
        "order_amount": 39900,
        "post_amount": 0,
        "create_time": when - 3600,
        "pay_time": when - 3600,
        "update_time": when,
        "post_receiver": "李四",
        "post_tel": "13812345678",
        "post_addr": {
            "province": {"name": "广东省"},
            "city": {"name": "深圳市"},
            "town": {"name": "南山区"},
            "detail": "科技园 1号",
        },
        "sku_order_list": [
            {
                "product_name": "无线降噪耳机 黑色",
                "item_num": 1,
                "goods_price": 39900,
                "out_sku_id": "EAR-BLK",
            }
        ],
        "logistics_info": (
            [{"tracking_no": f"7310{order_id[-8:]}", "company_name": company, "ship_time": when}]
            if shipped
            else []
        ),
    }


def aftersale(aftersale_id: str, order_id: str, *, hours_ago: float = 1, status: int = 6) -> dict[str, Any]:
    when = int((NOW - timedelta(hours=hours_ago)).timestamp())
    return {
        "aftersale_info": {
            "aftersale_id": aftersale_id,
            "aftersale_type": 1,
            "aftersale_status": status,
            "refund_amount": 39900,
            "reason": "不想要了",
            "apply_time": when,
            "update_time": when,
        },
        "order_info": {
            "shop_order_id": order_id,
            "related_order_info": [{"aftersale_item_num": 1}],
        },
    }


def push_sign(app_key: str, body: bytes, secret: str) -> str:
    """``event-sign``: MD5 of app_key + the raw body + app_secret (消息推送 guide)."""
    return hashlib.md5(app_key.encode() + body + secret.encode()).hexdigest()


def push_body(*messages: tuple[int, str, dict[str, Any]]) -> bytes:
    """(tag, msg_id, data) each; 抖店 sends ``data`` as a JSON string inside the array."""
    return json.dumps(
        [{"tag": str(tag), "msg_id": msg_id, "data": json.dumps(data)} for tag, msg_id, data in messages]
    ).encode()
