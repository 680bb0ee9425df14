"""快递100 as its published API behaves, for contract tests: it checks what 快递100 checks
(form fields, the key, the company code, the callback URL, 顺丰's phone, the query signature)
and answers with the documented shapes and return codes."""

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tests.connectors.provider_server import Answer, Call

KNOWN_COMPANIES = {"zhongtong", "yuantong", "yunda", "shentong", "shunfeng", "jd", "ems", "jtexpress"}


def _json(data: dict[str, Any], status: int = 200) -> Answer:
    return Answer(status, json.dumps(data, ensure_ascii=False).encode())


def _code(code: str, message: str) -> Answer:
    return _json({"result": False, "returnCode": code, "message": message})


@dataclass
class FakeKuaidi100:
    key: str
    customer: str
    tracks: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    subscribed: list[dict[str, Any]] = field(default_factory=list)
    refuse_companies: set[str] = field(default_factory=set)
    busy_next: int = 0

    def __call__(self, call: Call) -> Answer:
        if call.method != "POST" or "x-www-form-urlencoded" not in call.headers.get("Content-Type", ""):
            return Answer(405, b"")
        if self.busy_next > 0:
            self.busy_next -= 1
            return _code("502", "服务器繁忙,请稍后再试")
        if call.path == "/poll":
            return self.subscribe(call.form)
        if call.path == "/poll/query.do":
            return self.query(call.form)
        return Answer(404, b"")

    def subscribe(self, form: dict[str, str]) -> Answer:
        if form.get("schema") != "json" or "param" not in form:
            return _code("700", "订阅方的订阅数据存在错误")
        param = json.loads(form["param"])
        parameters = param.get("parameters") or {}
        if param.get("key") != self.key:
            return _code("600", "您不是合法的订阅者(即授权Key出错)")
        company, number = param.get("company"), param.get("number")
        if company not in KNOWN_COMPANIES or company in self.refuse_companies:
            return _code("701", "拒绝订阅的快递公司")
        if not number or not str(parameters.get("callbackurl", "")).startswith("http"):
            return _code(
                "700", "订阅方的订阅数据存在错误(如不支持的快递公司、单号为空、单号超长等)或错误的回调地址"
            )
        if company == "shunfeng" and not parameters.get("phone"):
            return _code("700", "顺丰单号订阅需要提供手机号")
        if any(s["company"] == company and s["number"] == number for s in self.subscribed):
            return _code("501", "重复订阅")
        self.subscribed.append({"company": company, "number": number, **parameters})
        return _json({"result": True, "returnCode": "200", "message": "提交成功"})

    def query(self, form: dict[str, str]) -> Answer:
        param_text = form.get("param", "")
        expected = hashlib.md5((param_text + self.key + self.customer).encode()).hexdigest().upper()
        if form.get("customer") != self.customer or form.get("sign") != expected:
            return _code("503", "验证签名失败")
        param = json.loads(param_text)
        if param.get("com") not in KNOWN_COMPANIES or not param.get("num"):
            return _code("400", "找不到对应公司")
        data = self.tracks.get(param["num"])
        if not data:
            return _code("500", "查询无结果,请隔段时间再查")
        return _json(
            {
                "message": "ok",
                "nu": param["num"],
                "ischeck": "0",
                "condition": "00",
                "com": param["com"],
                "status": "200",
                "state": data[0].get("statusCode", "0"),
                "data": data,
            }
        )


def push_form(
    *, company: str, number: str, data: list[dict[str, str]], salt: str, status: str = "polling"
) -> dict[str, str]:
    """What 快递100 posts to a callback URL: ``param`` and ``sign`` = MD5(param + salt) upper-case."""
    param = json.dumps(
        {
            "status": status,
            "billstatus": "",
            "message": "3天查询无记录" if status == "abort" else "",
            "autoCheck": "0",
            "comOld": "",
            "comNew": "",
            "lastResult": {
                "message": "ok",
                "state": data[0].get("statusCode", "0") if data else "0",
                "status": "200",
                "condition": "00",
                "ischeck": "1" if status == "shutdown" else "0",
                "com": company,
                "nu": number,
                "data": data,
            },
        },
        ensure_ascii=False,
    )
    return {"param": param, "sign": hashlib.md5((param + salt).encode()).hexdigest().upper()}


def entry(ftime: str, context: str, *, code: str = "0", area: str = "") -> dict[str, str]:
    """One track entry as 快递100 sends it (newest first in a push)."""
    return {"time": ftime, "ftime": ftime, "context": context, "statusCode": code, "areaName": area}
