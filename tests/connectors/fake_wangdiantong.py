"""旺店通·企业版 open API as its published protocol behaves, for contract tests: form POSTs to
``/{file}.php`` with ``sid``, ``appkey``, ``timestamp`` within 5 minutes and ``sign`` (the
length-prefixed parameter string plus the appsecret, MD5, written out again here); ``trade_push``
keyed by ``tid`` (the same ``tid`` again is ``chg_count``, never a second order);
``logistics_sync_query`` handing out at most ``limit`` (≤ 100) waiting shipments of the shop
until ``logistics_sync_ack`` (≤ 50 a call) answers them. Answers are ``{"code", "message", …}``.
The codes the document shows are used: 1007 (appkey 停用, 店铺不存在), 2830 (参数值无效) and 99
(订单数据错误); it names none of its own for a refused signature or timestamp, so the fake answers
those with 1007 and its message."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from aftersales.kit.time import utcnow
from tests.connectors.provider_server import Answer, Call

COMMON = ("sid", "appkey", "timestamp", "sign")
TRADE_FIELDS = ("tid", "trade_status", "pay_status", "delivery_term", "pay_time", "buyer_nick")
RECEIVER_FIELDS = (
    "receiver_name",
    "receiver_province",
    "receiver_city",
    "receiver_address",
    "receiver_mobile",
)
LINE_FIELDS = ("oid", "num", "price", "status", "refund_status", "goods_id", "spec_no", "goods_name")


def wdt_sign(form: dict[str, str], secret: str) -> str:
    """``%02d-name:%04d-value`` per parameter (lengths in characters), ``;`` between, secret after."""
    parts = [f"{len(k):02d}-{k}:{len(form[k]):04d}-{form[k]}" for k in sorted(form) if k != "sign"]
    return hashlib.md5((";".join(parts) + secret).encode()).hexdigest()


def _answer(code: int, message: str = "", **fields: Any) -> Answer:
    body = {"code": code, "message": message, **fields}
    return Answer(200, json.dumps(body, ensure_ascii=False).encode())


@dataclass
class FakeWangdiantong:
    sid: str
    appkey: str
    appsecret: str
    shop_no: str = "api_test"
    clock_skew: int = 0  # seconds the server's clock is ahead of ours
    trades: dict[str, dict[str, Any]] = field(default_factory=dict)  # tid -> the pushed order
    pushes: int = 0
    waiting: dict[int, dict[str, Any]] = field(default_factory=dict)  # rec_id -> a shipment to sync
    acks: dict[int, dict[str, Any]] = field(default_factory=dict)  # rec_id -> its acknowledgement
    queries: list[int] = field(default_factory=list)  # the limit of each 查询物流同步
    next_rec_id: int = 1000

    def __call__(self, call: Call) -> Answer:
        form = call.form
        if call.method != "POST":
            return Answer(405, b"")
        missing = next((name for name in COMMON if not form.get(name)), None)
        if missing:
            return _answer(2830, f"缺少参数 {missing}")
        if form["sid"] != self.sid or form["appkey"] != self.appkey:
            return _answer(1007, f"无效appkey:{form['appkey']}")
        if form["sign"] != wdt_sign(form, self.appsecret):
            return _answer(1007, "无效sign")
        if abs(utcnow().timestamp() + self.clock_skew - int(form["timestamp"])) > 300:
            return _answer(1007, "无效timestamp")
        handlers = {
            "/openapi/trade_push.php": self.trade_push,
            "/openapi/logistics_sync_query.php": self.sync_query,
            "/openapi/logistics_sync_ack.php": self.sync_ack,
        }
        handler = handlers.get(call.path)
        return handler(form) if handler else Answer(404, b"")

    def trade_push(self, form: dict[str, str]) -> Answer:
        if form.get("shop_no") != self.shop_no:
            return _answer(1007, "店铺不存在")
        trade_list = json.loads(form.get("trade_list") or "[]")
        problem = next((p for t in trade_list if (p := self._invalid(t))), None)
        if not trade_list or problem:
            return _answer(99, problem or "trade_list 不能为空")
        new = sum(trade["tid"] not in self.trades for trade in trade_list)
        for trade in trade_list:
            self.trades[trade["tid"]] = trade
        self.pushes += 1
        return _answer(0, new_count=new, chg_count=len(trade_list) - new)

    def _invalid(self, trade: dict[str, Any]) -> str | None:
        missing = [name for name in (*TRADE_FIELDS, *RECEIVER_FIELDS) if trade.get(name) in (None, "")]
        lines = trade.get("order_list") or []
        missing += [name for line in lines for name in LINE_FIELDS if line.get(name) in (None, "")]
        if missing or not lines:
            return f"订单 {trade.get('tid')} 缺少 {','.join(missing) or 'order_list'}"
        return None

    def sync_query(self, form: dict[str, str]) -> Answer:
        limit = int(form.get("limit") or 0)
        if limit < 1 or (form.get("shop_no") and form["shop_no"] != self.shop_no):
            return _answer(2830, "参数值无效")
        limit = min(limit, 100)
        self.queries.append(limit)
        records = [record for _, record in sorted(self.waiting.items())][:limit]
        return _answer(0, total_count=len(self.waiting), trades=records)

    def sync_ack(self, form: dict[str, str]) -> Answer:
        acks = json.loads(form.get("logistics_list") or "[]")
        if not 1 <= len(acks) <= 50:
            return _answer(2830, "logistics_list 条数应在 1 到 50 之间")
        errors = []
        for ack in acks:
            rec_id = int(ack["rec_id"])
            if rec_id not in self.waiting or ack.get("status") not in (0, 1):
                errors.append({"rec_id": str(rec_id), "error": "非待同步状态,不可更新"})
                continue
            del self.waiting[rec_id]
            self.acks[rec_id] = ack
        return _answer(0, errors=errors)

    def ship(self, tid: str, *, waybill: str, company: str = "中通快递") -> int:
        """The warehouse sent ``tid``: a shipment now waits to be synced (the document's shape)."""
        self.next_rec_id += 1
        self.waiting[self.next_rec_id] = {
            "rec_id": str(self.next_rec_id),
            "shop_id": "332",
            "tid": tid,
            "logistics_no": waybill,
            "logistics_type": 5,
            "delivery_term": 1,
            "consign_time": "2026-12-01 10:00:00",
            "is_part_sync": 0,
            "oids": f"{tid}-0",
            "platform_id": 127,
            "trade_id": str(2778958322735251459 + self.next_rec_id),
            "logistics_code_erp": "54",
            "logistics_name_erp": company,
            "logistics_name": company,
            "is_need_sync": 1,
            "sync_status": 0,
        }
        return self.next_rec_id
