"""拼多多开放平台 gateway as its published protocol behaves, for contract tests: POST form to
``/api/router`` with ``type``, ``client_id``, ``access_token``, ``timestamp``, ``data_type`` and
an upper-case MD5 ``sign`` of the secret-wrapped sorted parameters; increment windows of at most
30 minutes; orders paged with ``has_next``, after-sales by ``total_count``; the documented
``error_response`` (10019 token, 20004 signature, 70031 调用过于频繁)."""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aftersales.kit.time import SHANGHAI, utcnow
from tests.connectors.provider_server import Answer, Call

COMMON = ("type", "client_id", "access_token", "timestamp", "data_type", "sign")
RESPONSES = {
    "pdd.order.number.list.increment.get": ("order_sn_increment_get_response", "order_sn_list"),
    "pdd.refund.list.increment.get": ("refund_increment_get_response", "refund_list"),
}
COMPANIES = [
    {"id": 115, "logistics_company": "中通快递", "code": "ZTO"},
    {"id": 44, "logistics_company": "顺丰快递", "code": "SF"},
]


def pdd_sign(form: dict[str, str], secret: str) -> str:
    joined = "".join(key + form[key] for key in sorted(form) if key != "sign")
    return hashlib.md5((secret + joined + secret).encode()).hexdigest().upper()


def _error(code: int, msg: str) -> Answer:
    body = {
        "error_response": {"error_code": code, "error_msg": msg, "sub_code": str(code), "request_id": "R1"}
    }
    return Answer(200, json.dumps(body, ensure_ascii=False).encode())


def _ok(key: str, body: dict[str, Any]) -> Answer:
    return Answer(200, json.dumps({key: {**body, "request_id": "R1"}}, ensure_ascii=False).encode())


@dataclass
class FakePdd:
    client_id: str
    secret: str
    token: str
    orders: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    throttle_next: int = 0
    windows: list[tuple[str, int, int]] = field(default_factory=list)

    def __call__(self, call: Call) -> Answer:
        form = call.form
        if call.method != "POST" or call.path != "/api/router":
            return Answer(404, b"")
        missing = next((name for name in COMMON if not form.get(name)), None)
        if missing:
            return _error(10000, f"参数错误: {missing} 不能为空")
        if form["client_id"] != self.client_id:
            return _error(20005, "client_id 不存在")
        if form["sign"] != pdd_sign(form, self.secret):
            return _error(20004, "签名错误")
        if abs(utcnow().timestamp() - int(form["timestamp"])) > 600:
            return _error(10000, "timestamp 已过期")
        if form["access_token"] != self.token:
            return _error(10019, "access_token已过期")
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return _error(70031, "调用过于频繁")
        if form["type"] == "pdd.logistics.companies.get":
            return _ok("logistics_companies_get_response", {"logistics_companies": COMPANIES})
        if form["type"] in RESPONSES:
            return self.page(form)
        return _error(10000, "type 不存在")

    def page(self, form: dict[str, str]) -> Answer:
        key, inner = RESPONSES[form["type"]]
        low, high = int(form["start_updated_at"]), int(form["end_updated_at"])
        page, size = int(form["page"]), int(form["page_size"])
        if high < low or high - low > 1800 or not 1 <= size <= 100:
            return _error(10000, "时间跨度不能超过30分钟 / page_size 1-100")
        self.windows.append((form["type"], low, high))
        rows = self.orders if inner == "order_sn_list" else self.refunds
        hits = [row for row in rows if low <= row["_updated"] <= high]
        chunk = [
            {k: v for k, v in row.items() if k != "_updated"} for row in hits[(page - 1) * size : page * size]
        ]
        return _ok(key, {inner: chunk, "total_count": len(hits), "has_next": page * size < len(hits)})


NOW = utcnow().replace(microsecond=0)
FORMAT = "%Y-%m-%d %H:%M:%S"


def _local(hours_ago: float) -> str:
    return (NOW - timedelta(hours=hours_ago)).astimezone(SHANGHAI).strftime(FORMAT)


def order(order_sn: str, *, hours_ago: float = 2, shipped: bool = False) -> dict[str, Any]:
    return {
        "order_sn": order_sn,
        "order_status": 2 if shipped else 1,
        "pay_amount": 399.0,
        "goods_amount": 399.0,
        "postage": 0.0,
        "receiver_name": "王五",
        "receiver_phone": "13712345678",
        "province": "江苏省",
        "city": "南京市",
        "town": "鼓楼区",
        "address": "中山路 1号",
        "created_time": _local(hours_ago + 1),
        "pay_time": _local(hours_ago + 1),
        "shipping_time": _local(hours_ago) if shipped else "",
        "tracking_number": f"7310{order_sn[-8:]}" if shipped else "",
        "logistics_id": 115 if shipped else 0,
        "item_list": [
            {"goods_name": "无线降噪耳机 黑色", "goods_count": 1, "goods_price": 399.0, "outer_id": "EAR-BLK"}
        ],
        "_updated": int((NOW - timedelta(hours=hours_ago)).timestamp()),
    }


def refund(refund_id: str, order_sn: str, *, hours_ago: float = 1, status: int = 2) -> dict[str, Any]:
    return {
        "id": refund_id,
        "order_sn": order_sn,
        "after_sales_type": 2,
        "after_sales_status": status,
        "refund_amount": 39900,
        "after_sale_reason": "不想要了",
        "created_time": _local(hours_ago),
        "goods_number": 1,
        "_updated": int((NOW - timedelta(hours=hours_ago)).timestamp()),
    }
