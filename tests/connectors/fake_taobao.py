"""淘宝开放平台 (TOP) gateway as its published protocol behaves, for contract tests: it checks
the common parameters, the app key and the shop's session, the md5/hmac signature, the 10-minute
timestamp tolerance and the increment APIs' one-day window, then pages the shop's trades and
refunds by ``modified``, reads one trade (``taobao.trade.fullinfo.get`` by ``tid``) or one
refund (``taobao.refund.get`` by ``refund_id``; code 15 ``isv.*-not-exist`` for an unknown one),
pages the rates buyers gave the shop (``taobao.traderates.get``: get/buyer, ``page_size`` ≤ 150,
``page_no`` ≤ 200) by ``created``, takes a seller's explanation of one
(``taobao.traderate.explain.add``: a known ``oid``, a reply of at most 500 characters, once) and
answers ``<method>_response`` or ``error_response`` (code 7 App Call Limited when throttled, 25
Invalid signature, 27 Invalid session, 15 with an ``isv.*`` sub-code for refused parameters)."""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aftersales.kit.time import utcnow
from tests.connectors.provider_server import Answer, Call

GMT8 = ZoneInfo("Asia/Shanghai")
COMMON = ("method", "app_key", "session", "timestamp", "format", "v", "sign_method", "sign")
FORMAT = "%Y-%m-%d %H:%M:%S"


def top_sign(params: dict[str, str], secret: str, method: str) -> str:
    joined = "".join(k + params[k] for k in sorted(params) if k != "sign" and params[k])
    if method == "hmac":
        return hmac.new(secret.encode(), joined.encode(), hashlib.md5).hexdigest().upper()
    return hashlib.md5((secret + joined + secret).encode()).hexdigest().upper()


def _error(code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> Answer:
    body = {
        "error_response": {
            "code": code,
            "msg": msg,
            "sub_code": sub_code,
            "sub_msg": sub_msg,
            "request_id": "r1",
        }
    }
    return Answer(200, json.dumps(body, ensure_ascii=False).encode())


def _ok(method: str, body: dict[str, Any]) -> Answer:
    key = method.removeprefix("taobao.").replace(".", "_") + "_response"
    return Answer(200, json.dumps({key: {**body, "request_id": "r1"}}, ensure_ascii=False).encode())


def _when(text: str) -> datetime:
    return datetime.strptime(text, FORMAT).replace(tzinfo=GMT8)


@dataclass
class FakeTop:
    app_key: str
    secret: str
    session: str
    nick: str = "好物旗舰店"
    trades: list[dict[str, Any]] = field(default_factory=list)
    refunds: list[dict[str, Any]] = field(default_factory=list)
    rates: list[dict[str, Any]] = field(default_factory=list)
    explanations: list[dict[str, str]] = field(default_factory=list)
    throttle_next: int = 0
    throttle_method: str = ""  # throttle only this method (empty: every method)
    windows: list[tuple[str, str, str]] = field(default_factory=list)

    def __call__(self, call: Call) -> Answer:
        if call.method != "POST" or call.path != "/router/rest":
            return Answer(404, b"")
        form = call.form
        missing = [name for name in COMMON if not form.get(name)]
        if missing:
            return _error(21 if missing[0] == "method" else 40, f"Missing required arguments:{missing[0]}")
        if form["app_key"] != self.app_key:
            return _error(29, "Invalid app Key")
        if form["sign"] != top_sign(form, self.secret, form["sign_method"]):
            return _error(25, "Invalid signature")
        if abs(datetime.now(UTC) - _when(form["timestamp"])) > timedelta(minutes=10):
            return _error(43, "Invalid timestamp", "isv.invalid-timestamp")
        if form["session"] != self.session:
            return _error(27, "Invalid session", "invalid-sessionkey")
        if self.throttle_next > 0 and self.throttle_method in ("", form["method"]):
            self.throttle_next -= 1
            return _error(
                7,
                "App Call Limited",
                "accesscontrol.limited-by-app-access-count",
                "This ban will last for 1 more seconds",
            )
        if form["method"] == "taobao.user.seller.get":
            return _ok(form["method"], {"user": {"nick": self.nick, "user_id": 2200000001}})
        if form["method"] == "taobao.trades.sold.increment.get":
            return self.page(form, self.trades, "trades", "trade")
        if form["method"] == "taobao.refunds.receive.get":
            return self.page(form, self.refunds, "refunds", "refund")
        if form["method"] == "taobao.trade.fullinfo.get":
            return self.one(form, self.trades, "tid", "trade")
        if form["method"] == "taobao.refund.get":
            return self.one(form, self.refunds, "refund_id", "refund")
        if form["method"] == "taobao.traderates.get":
            return self.rate_page(form)
        if form["method"] == "taobao.traderate.explain.add":
            return self.explain(form)
        return _error(22, "Invalid method")

    def one(self, form: dict[str, str], rows: list[dict[str, Any]], key: str, name: str) -> Answer:
        if not form.get("fields") or not form.get(key):
            return _error(40, f"Missing required arguments:{key}")
        found = [row for row in rows if str(row[key]) == form[key]]
        if not found:
            return _error(15, "Remote service error", f"isv.{name}-not-exist", f"{key} 不存在")
        return _ok(form["method"], {name: found[0]})

    def rate_page(self, form: dict[str, str]) -> Answer:
        if not form.get("fields") or (form.get("rate_type"), form.get("role")) != ("get", "buyer"):
            return _error(40, "Missing required arguments:fields/rate_type/role")
        size, page_no = int(form.get("page_size", "40")), int(form.get("page_no", "1"))
        if not 1 <= size <= 150 or not 1 <= page_no <= 200:
            return _error(15, "Remote service error", "isv.invalid-parameter", "page_size/page_no")
        start, end = _when(form["start_date"]), _when(form["end_date"])
        self.windows.append((form["method"], form["start_date"], form["end_date"]))
        hits = [rate for rate in self.rates if start <= _when(rate["created"]) <= end]
        chunk = hits[(page_no - 1) * size : page_no * size]
        has_next = page_no * size < len(hits)
        return _ok(form["method"], {"trade_rates": {"trade_rate": chunk}, "has_next": has_next})

    def explain(self, form: dict[str, str]) -> Answer:
        oid, reply = form.get("oid", ""), form.get("reply", "")
        if not any(str(rate["oid"]) == oid for rate in self.rates):
            return _error(15, "Remote service error", "isv.invalid-parameter:oid", "子订单不存在")
        if not reply or len(reply) > 500:
            return _error(15, "Remote service error", "isv.invalid-parameter:reply", "解释内容为空或超长")
        if any(done["oid"] == oid for done in self.explanations):
            return _error(15, "Remote service error", "isv.explain-exist", "该评价已解释")
        self.explanations.append({"oid": oid, "reply": reply})
        return _ok(form["method"], {"is_success": True})

    def page(self, form: dict[str, str], rows: list[dict[str, Any]], outer: str, inner: str) -> Answer:
        start, end = _when(form["start_modified"]), _when(form["end_modified"])
        if end < start or end - start > timedelta(days=1):
            return _error(15, "Remote service error", "isv.invalid-parameter", "时间跨度不能超过一天")
        size, page_no = int(form.get("page_size", "40")), int(form.get("page_no", "1"))
        if not 1 <= size <= 100 or form.get("use_has_next") != "true":
            return _error(15, "Remote service error", "isv.invalid-parameter", "page_size/use_has_next")
        self.windows.append((form["method"], form["start_modified"], form["end_modified"]))
        hits = [row for row in rows if start <= _when(row["modified"]) <= end]
        chunk = hits[(page_no - 1) * size : page_no * size]
        return _ok(form["method"], {outer: {inner: chunk}, "has_next": page_no * size < len(hits)})


# Trades and refunds as TOP returns them, around a fixed moment (GMT+8 wall-clock strings).
NOW = utcnow().replace(microsecond=0)


def local(moment: datetime) -> str:
    return moment.astimezone(GMT8).strftime(FORMAT)


def trade(tid: str, *, hours_ago: float = 2, shipped: bool = False, **fields: Any) -> dict[str, Any]:
    line = {
        "oid": f"{tid}1",
        "title": "无线降噪耳机 黑色",
        "num": 1,
        "price": "399.00",
        "outer_sku_id": "EAR-BLK",
    }
    if shipped:
        line |= {"logistics_company": "中通快递", "invoice_no": f"7310{tid[-8:]}"}
    return {
        "tid": tid,
        "status": "WAIT_BUYER_CONFIRM_GOODS" if shipped else "WAIT_SELLER_SEND_GOODS",
        "buyer_nick": "t**买家",
        "payment": "399.00",
        "total_fee": "399.00",
        "post_fee": "0.00",
        "created": local(NOW - timedelta(hours=hours_ago + 1)),
        "pay_time": local(NOW - timedelta(hours=hours_ago + 1)),
        "consign_time": local(NOW - timedelta(hours=hours_ago)) if shipped else None,
        "modified": local(NOW - timedelta(hours=hours_ago)),
        "receiver_name": "张三",
        "receiver_mobile": "13912345678",
        "receiver_state": "浙江省",
        "receiver_city": "杭州市",
        "receiver_district": "西湖区",
        "receiver_address": "文三路 100号",
        "orders": {"order": [line]},
        **fields,
    }


def refund(refund_id: str, tid: str, *, hours_ago: float = 1, **fields: Any) -> dict[str, Any]:
    return {
        "refund_id": refund_id,
        "tid": tid,
        "status": "WAIT_SELLER_AGREE",
        "created": local(NOW - timedelta(hours=hours_ago)),
        "modified": local(NOW - timedelta(hours=hours_ago)),
        "refund_fee": "399.00",
        "reason": "不想要了",
        "desc": "",
        "num": 1,
        "has_good_return": False,
        **fields,
    }


def rate(
    oid: str, tid: str, *, result: str = "good", content: str = "很好", hours_ago: float = 1
) -> dict[str, Any]:
    """A buyer's rate of one sub-order as ``taobao.traderates.get`` returns it."""
    return {
        "tid": tid,
        "oid": oid,
        "role": "buyer",
        "nick": "t**买家",
        "result": result,
        "created": local(NOW - timedelta(hours=hours_ago)),
        "rated_nick": "好物旗舰店",
        "item_title": "无线降噪耳机 黑色",
        "content": content,
        "reply": "",
    }
