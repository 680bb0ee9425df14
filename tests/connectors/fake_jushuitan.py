"""聚水潭开放平台 as its published protocol behaves, for contract tests: form POSTs with
``app_key``, ``access_token``, ``timestamp``, ``charset``, ``version=2``, ``biz`` and a lower-case
MD5 ``sign`` of the secret-prefixed sorted parameters, a timestamp within 10 minutes; the order
upload keyed by ``so_id`` (the same ``so_id`` again updates the order, never adds one) and the
order query by ``so_ids``; ``{"code": 0, "msg", "data"}`` answers, 100 for a bad token."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from aftersales.kit.time import utcnow
from tests.connectors.provider_server import Answer, Call

COMMON = ("app_key", "access_token", "timestamp", "charset", "version", "biz", "sign")


def jst_sign(form: dict[str, str], secret: str) -> str:
    joined = "".join(key + form[key] for key in sorted(form) if key != "sign" and form[key])
    return hashlib.md5((secret + joined).encode()).hexdigest()


def _answer(code: int, msg: str, data: Any = None) -> Answer:
    return Answer(200, json.dumps({"code": code, "msg": msg, "data": data}, ensure_ascii=False).encode())


@dataclass
class FakeJushuitan:
    app_key: str
    secret: str
    token: str
    shop_id: int = 10086
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)  # so_id -> the ERP order
    uploads: int = 0

    def __call__(self, call: Call) -> Answer:
        form = call.form
        if call.method != "POST":
            return Answer(405, b"")
        missing = next((name for name in COMMON if not form.get(name)), None)
        if missing:
            return _answer(10, f"缺少参数 {missing}")
        if form["app_key"] != self.app_key or form["sign"] != jst_sign(form, self.secret):
            return _answer(20, "签名错误")
        if abs(utcnow().timestamp() - int(form["timestamp"])) > 600 or form["version"] != "2":
            return _answer(30, "timestamp 已过期")
        if form["access_token"] != self.token:
            return _answer(100, "access_token 无效")
        biz = json.loads(form["biz"])
        if call.path == "/open/jushuitan/orders/upload":
            return self.upload(biz)
        if call.path == "/open/orders/single/query":
            return self.query(biz)
        return Answer(404, b"")

    def upload(self, biz: list[dict[str, Any]]) -> Answer:
        datas = []
        for order in biz:
            if order.get("shop_id") != self.shop_id or not order.get("items"):
                datas.append({"issuccess": False, "msg": "店铺不存在或没有商品", "so_id": order.get("so_id")})
                continue
            self.uploads += 1
            kept = self.orders.setdefault(
                order["so_id"], {"o_id": 500 + len(self.orders), "status": "WaitConfirm"}
            )
            kept["upload"] = order
            datas.append({"issuccess": True, "msg": "", "o_id": kept["o_id"], "so_id": order["so_id"]})
        return _answer(0, "执行成功", {"datas": datas})

    def query(self, biz: dict[str, Any]) -> Answer:
        if biz.get("shop_id") != self.shop_id or not 1 <= len(biz.get("so_ids") or []) <= 20:
            return _answer(10, "shop_id/so_ids 不正确")
        found = [
            {"so_id": so_id, **{k: v for k, v in order.items() if k != "upload"}}
            for so_id, order in self.orders.items()
            if so_id in biz["so_ids"]
        ]
        return _answer(0, "执行成功", {"orders": found, "page_index": 1, "has_next": False})

    def ship(self, so_id: str, *, waybill: str, company: str = "中通快递") -> None:
        self.orders[so_id] |= {
            "status": "Sent",
            "l_id": waybill,
            "logistics_company": company,
            "send_date": "2026-12-01 10:00:00",
        }
