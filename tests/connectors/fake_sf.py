"""顺丰丰桥 as its published protocol behaves, for contract tests: the form's ``partnerID``,
``requestID`` (never reused), ``serviceCode``, a millisecond ``timestamp`` within 10 minutes and
``msgDigest`` = Base64(MD5(URL-encoded msgData + timestamp + checkword)); then the interception
and order services answer in the documented envelope (``apiResultCode`` A1000 with a JSON
``apiResultData``; A1005 流量受控, A1006 数字签名无效)."""

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from aftersales.kit.time import utcnow
from tests.connectors.provider_server import Answer, Call

FORM = ("partnerID", "requestID", "serviceCode", "timestamp", "msgData", "msgDigest")


def sf_digest(msg_data: str, timestamp: str, checkword: str) -> str:
    """Java ``URLEncoder.encode(text, "UTF-8")`` then MD5 then Base64, written out here."""
    encoded = quote_plus(msg_data + timestamp + checkword, safe="*").replace("~", "%7E")
    return base64.b64encode(hashlib.md5(encoded.encode()).digest()).decode()


def _envelope(code: str, message: str = "", result: dict[str, Any] | None = None) -> Answer:
    body = {
        "apiResultCode": code,
        "apiErrorMsg": message,
        "apiResponseID": "0001",
        "apiResultData": json.dumps(result, ensure_ascii=False) if result is not None else None,
    }
    return Answer(200, json.dumps(body, ensure_ascii=False).encode())


def _result(success: bool, msg_data: Any = None, error: str = "", code: str = "S0000") -> dict[str, Any]:
    return {"success": success, "errorCode": code, "errorMsg": error or None, "msgData": msg_data}


@dataclass
class FakeSf:
    partner_id: str
    checkword: str
    refuse_intercepts: set[str] = field(default_factory=set)  # waybills the network cannot stop
    throttle_next: int = 0
    not_serviceable: bool = False
    intercepts: list[dict[str, Any]] = field(default_factory=list)
    orders: list[dict[str, Any]] = field(default_factory=list)
    request_ids: set[str] = field(default_factory=set)

    def __call__(self, call: Call) -> Answer:
        form = call.form
        if call.method != "POST" or call.path != "/std/service":
            return Answer(404, b"")
        if any(not form.get(name) for name in FORM):
            return _envelope("A1001", "必传参数不可为空")
        if form["partnerID"] != self.partner_id or form["msgDigest"] != sf_digest(
            form["msgData"], form["timestamp"], self.checkword
        ):
            return _envelope("A1006", "数字签名无效")
        if abs(utcnow().timestamp() * 1000 - int(form["timestamp"])) > 600_000:
            return _envelope("A1002", "请求时效已过期")
        if form["requestID"] in self.request_ids:
            return _envelope("A1007", "重复请求")
        self.request_ids.add(form["requestID"])
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return _envelope("A1005", "流量受控")
        data = json.loads(form["msgData"])
        if form["serviceCode"] == "EXP_RECE_WANTED_INTERCEPT":
            return self.intercept(data)
        if form["serviceCode"] == "EXP_RECE_CREATE_ORDER":
            return self.order(data)
        return _envelope("A1004", "无对应服务权限")

    def intercept(self, data: dict[str, Any]) -> Answer:
        address = data.get("newDestAddress") or {}
        if data.get("serviceCode") == "2" and not all(
            address.get(k) for k in ("province", "city", "county", "address")
        ):
            return _envelope("A1000", result=_result(False, error="退回地址不完整", code="8016"))
        if data.get("payMode") in ("3", "4") and not data.get("monthlyCardNo"):
            return _envelope("A1000", result=_result(False, error="月结卡号不能为空", code="8017"))
        if data["waybillNo"] in self.refuse_intercepts:
            return _envelope("A1000", result=_result(False, error="快件已派送,不能截单", code="8018"))
        self.intercepts.append(data)
        return _envelope("A1000", result=_result(True))

    def order(self, data: dict[str, Any]) -> Answer:
        self.orders.append(data)
        if self.not_serviceable:
            return _envelope(
                "A1000",
                result=_result(True, {"orderId": data["orderId"], "filterResult": 3, "remark": "超范围"}),
            )
        waybill = f"SF{1400000000000 + len(self.orders)}"
        body = {
            "orderId": data["orderId"],
            "filterResult": 2,
            "waybillNoInfoList": [{"waybillType": 1, "waybillNo": waybill}],
        }
        return _envelope("A1000", result=_result(True, body))
