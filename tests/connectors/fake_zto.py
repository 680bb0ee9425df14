"""中通开放平台 (ZOP) as its published protocol behaves, for contract tests: JSON POSTs to
``/{接口名}`` with ``x-appKey`` and ``x-dataDigest`` = Base64(MD5(body + appSecret)) over the raw
body (written out again here); ``thirdcenter.createIntercept`` checking ``billCode``,
``requestId`` (the same id again is the same interception, never a second one), ``thirdBizNo``
and, for ``destinationType`` 4, the return address. Answers ``{"status", "statusCode",
"message", "result"}`` with the public system codes S208 (必填参数), S210 (无权限访问), S211
(签名错误) and S206 (api qos limit); the code of a network's business refusal is not public, so
the fake's own ``INTERCEPT_REFUSED`` stands for it."""

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tests.connectors.provider_server import Answer, Call

RECEIVE_FIELDS = ("receiveUsername", "receivePhone", "receiveProvince", "receiveCity", "receiveDistrict")


def zop_digest(body: bytes, app_secret: str) -> str:
    return base64.b64encode(hashlib.md5(body + app_secret.encode()).digest()).decode()


def _answer(status: bool, code: str, message: str, result: Any = None) -> Answer:
    body = {"status": status, "statusCode": code, "message": message, "result": result}
    return Answer(200, json.dumps(body, ensure_ascii=False).encode())


@dataclass
class FakeZto:
    app_key: str
    app_secret: str
    refuse: set[str] = field(default_factory=set)  # waybills the network can no longer stop
    throttle_next: int = 0
    intercepts: dict[str, dict[str, Any]] = field(default_factory=dict)  # requestId -> the request

    def __call__(self, call: Call) -> Answer:
        headers = {name.lower(): value for name, value in call.headers.items()}
        if call.method != "POST" or "application/json" not in headers.get("content-type", ""):
            return Answer(405, b"")
        if headers.get("x-appkey") != self.app_key:
            return _answer(False, "S210", "无权限访问")
        if headers.get("x-datadigest") != zop_digest(call.body, self.app_secret):
            return _answer(False, "S211", "签名错误")
        if self.throttle_next > 0:
            self.throttle_next -= 1
            return _answer(False, "S206", "api qos limit")
        if call.path != "/thirdcenter.createIntercept":
            return _answer(False, "S207", "API不存在")
        return self.create_intercept(json.loads(call.body))

    def create_intercept(self, data: dict[str, Any]) -> Answer:
        required = ["billCode", "requestId", "thirdBizNo", "destinationType"]
        if data.get("destinationType") == 4:
            required += [*RECEIVE_FIELDS, "receiveAddress"]
        missing = next((name for name in required if data.get(name) in (None, "")), None)
        if missing:
            return _answer(False, "S208", f"{missing}不能为空")
        if data["requestId"] in self.intercepts:
            return _answer(True, "0000", "成功", {"centerBizNo": self._work_order(data["requestId"])})
        if data["billCode"] in self.refuse:
            return _answer(False, "INTERCEPT_REFUSED", "快件已派件,不能发起拦截")
        self.intercepts[data["requestId"]] = data
        return _answer(True, "0000", "成功", {"centerBizNo": self._work_order(data["requestId"])})

    def _work_order(self, request_id: str) -> str:
        return f"LJ{list(self.intercepts).index(request_id) + 1:08d}"
