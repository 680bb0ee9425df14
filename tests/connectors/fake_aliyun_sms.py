"""阿里云短信 (dysmsapi) as its published API behaves, for contract tests: it verifies the POP
signature with the AccessKey secret, the 15-minute timestamp window and nonce reuse, then checks
SendSms' parameters and answers with the documented JSON codes, including its own per-number
flow control (isv.BUSINESS_LIMIT_CONTROL)."""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from tests.connectors.provider_server import Answer, Call

SYSTEM = (
    "AccessKeyId",
    "Action",
    "Format",
    "RegionId",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureVersion",
    "Timestamp",
    "Version",
)


def _encode(value: str) -> str:
    return quote(value, safe="-_.~")


def pop_signature(params: dict[str, str], secret: str) -> str:
    canonical = "&".join(f"{_encode(k)}={_encode(params[k])}" for k in sorted(params))
    to_sign = "GET&%2F&" + _encode(canonical)
    return base64.b64encode(hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()).decode()


def _answer(code: str, message: str, status: int = 200, **extra: Any) -> Answer:
    body = {"Code": code, "Message": message, "RequestId": "8C9F6C53-0000-4D5B-9C6B-3F0A1E2B3C4D", **extra}
    return Answer(status, json.dumps(body, ensure_ascii=False).encode())


@dataclass
class FakeAliyunSms:
    access_key_id: str
    secret: str
    sign_name: str
    templates: dict[str, set[str]]  # template code -> the variables it needs
    sent: list[dict[str, str]] = field(default_factory=list)
    nonces: set[str] = field(default_factory=set)
    refuse_numbers: set[str] = field(default_factory=set)
    last_sent_at: dict[str, datetime] = field(default_factory=dict)

    def __call__(self, call: Call) -> Answer:
        if call.method != "GET" or call.path != "/":
            return _answer("InvalidAction.NotFound", "Specified api is not found", 404)
        params = dict(call.query)
        refused = self.authenticate(params)
        if refused is not None:
            return refused
        if params["Action"] == "SendSms":
            return self.send(params)
        if params["Action"] == "QuerySmsTemplate":
            if params.get("TemplateCode") not in self.templates:
                return _answer("isv.SMS_TEMPLATE_ILLEGAL", "模板不存在")
            return _answer("OK", "OK", TemplateCode=params["TemplateCode"], TemplateStatus=1)
        return _answer("InvalidAction.NotFound", "Specified api is not found", 404)

    def authenticate(self, params: dict[str, str]) -> Answer | None:
        missing = [name for name in (*SYSTEM, "Signature") if not params.get(name)]
        if missing:
            return _answer("MissingParameter", f"missing {missing[0]}", 400)
        if params["AccessKeyId"] != self.access_key_id:
            return _answer("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        signature = params.pop("Signature")
        if not hmac.compare_digest(signature, pop_signature(params, self.secret)):
            return _answer(
                "SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", 400
            )
        signed_at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - signed_at) > timedelta(minutes=15):
            return _answer("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
        if params["SignatureNonce"] in self.nonces:
            return _answer("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
        self.nonces.add(params["SignatureNonce"])
        if (params["Version"], params["SignatureMethod"], params["Format"]) != (
            "2017-05-25",
            "HMAC-SHA1",
            "JSON",
        ):
            return _answer("InvalidParameter", "bad system parameter", 400)
        return None

    def send(self, params: dict[str, str]) -> Answer:
        phone = params.get("PhoneNumbers", "")
        if not (phone.isdigit() and len(phone) == 11) or phone in self.refuse_numbers:
            return _answer("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")
        if params.get("SignName") != self.sign_name:
            return _answer("isv.SMS_SIGNATURE_ILLEGAL", "签名不合法(不存在或被拉黑)")
        needed = self.templates.get(params.get("TemplateCode", ""))
        if needed is None:
            return _answer("isv.SMS_TEMPLATE_ILLEGAL", "模板不合法(不存在或被拉黑)")
        variables = json.loads(params.get("TemplateParam") or "{}")
        if not needed <= set(variables):
            return _answer("isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量")
        now = datetime.now(UTC)
        if now - self.last_sent_at.get(phone, now - timedelta(days=1)) < timedelta(minutes=1):
            return _answer("isv.BUSINESS_LIMIT_CONTROL", "触发号码分钟级流控Permits:1")
        self.last_sent_at[phone] = now
        biz_id = f"{900000 + len(self.sent)}^0"
        self.sent.append({**params, "BizId": biz_id})
        return _answer("OK", "OK", BizId=biz_id)

    def receipt(self, sent: dict[str, str], *, success: bool = True) -> dict[str, Any]:
        """A delivery report as 阿里云 pushes it (SmsReport, HTTP批量推送)."""
        return {
            "phone_number": sent["PhoneNumbers"],
            "send_time": "2026-11-12 10:00:00",
            "report_time": "2026-11-12 10:00:05",
            "success": success,
            "err_code": "DELIVERED" if success else "MK:0001",
            "err_msg": "用户接收成功" if success else "用户关机",
            "sms_size": "1",
            "biz_id": sent["BizId"],
            "out_id": sent["OutId"],
        }
