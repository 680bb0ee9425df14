"""阿里云短信 (Alibaba Cloud SMS, dysmsapi 2017-05-25): SendSms, QuerySmsTemplate, receipts.

Built to the published protocol: "HTTP协议及签名" (help.aliyun.com/document_detail/56189,
and "请求签名" document_detail/101343), the SendSms API reference, and "SmsReport" (回执消息,
HTTP批量推送模式):

- A request is ``GET https://dysmsapi.aliyuncs.com/?<params>&Signature=...`` with the POP system
  parameters ``AccessKeyId``, ``Timestamp`` (``yyyy-MM-dd'T'HH:mm:ss'Z'``, GMT), ``Format``,
  ``SignatureMethod=HMAC-SHA1``, ``SignatureVersion=1.0``, ``SignatureNonce`` (unique per
  request) plus ``Action``, ``Version=2017-05-25``, ``RegionId=cn-hangzhou`` and the action's own
  parameters (SendSms: ``PhoneNumbers``, ``SignName``, ``TemplateCode``, ``TemplateParam`` JSON,
  ``OutId``).
- Signature: sort the parameters by name, percent-encode names and values (RFC 3986: space →
  %20, ``*`` → %2A, ``~`` kept), join ``k=v`` with ``&``, then
  ``StringToSign = "GET&%2F&" + percentEncode(sortedQuery)`` and
  ``Signature = base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))``. The document's own example
  (testId / testSecret, nonce 45e25e9b-…, 2017-07-12T02:42:19Z) signs to
  ``zJDF+Lrzhj/ThnlvIToysFRq6t4=``; ``tests/connectors/test_aliyun_sms.py`` checks exactly that.
- The answer is ``{"Code": "OK", "Message", "RequestId", "BizId"}``; any other ``Code`` is an
  error (``isv.BUSINESS_LIMIT_CONTROL`` 触发号码天级/小时级/分钟级流控, ``Throttling.User``,
  ``isv.MOBILE_NUMBER_ILLEGAL``, ``isv.TEMPLATE_MISSING_PARAMETERS``, ``SignatureDoesNotMatch``,
  ``InvalidAccessKeyId.NotFound``, ``InvalidTimeStamp.Expired`` (more than 15 minutes off),
  ``SignatureNonceUsed``…).
- Receipts (HTTP批量推送): 阿里云 POSTs a JSON array of ``{"phone_number", "send_time",
  "report_time", "success", "err_code", "err_msg", "sms_size", "biz_id", "out_id"}``; the
  receiver answers ``{"code": 0, "msg": "接收成功"}``. The push carries no signature, so our
  receipt URL holds a token only we can compute, and a receipt only updates a send we made.
"""

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from aftersales.connectors.errors import ProviderError

API_VERSION = "2017-05-25"
REGION = "cn-hangzhou"
RECEIPT_ACCEPTED = {"code": 0, "msg": "接收成功"}

# Codes that trying again later may cure; the rest need a person (credentials, template, number).
RETRY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "Throttling.User",
        "isp.SYSTEM_ERROR",
        "isv.OUT_OF_SERVICE",
        "ServiceUnavailable",
    }
)
CREDENTIAL_CODES = frozenset(
    {"SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive", "Forbidden.RAM"}
)


def percent_encode(value: str) -> str:
    return quote(value, safe="~")


def string_to_sign(params: dict[str, str], method: str = "GET") -> str:
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    return f"{method}&{percent_encode('/')}&{percent_encode(query)}"


def signature(params: dict[str, str], secret: str, method: str = "GET") -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_params(
    *,
    access_key_id: str,
    secret: str,
    action: str,
    params: dict[str, str],
    now: datetime,
    nonce: str | None = None,
) -> dict[str, str]:
    """Every query parameter of one request, ``Signature`` included."""
    request = {
        "AccessKeyId": access_key_id,
        "Action": action,
        "Format": "JSON",
        "RegionId": REGION,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": nonce or str(uuid.uuid4()),
        "SignatureVersion": "1.0",
        "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": API_VERSION,
        **params,
    }
    return {**request, "Signature": signature(request, secret)}


def send_params(
    *, phone: str, sign_name: str, template_code: str, template_param: dict[str, str], out_id: str
) -> dict[str, str]:
    return {
        "PhoneNumbers": phone,
        "SignName": sign_name,
        "TemplateCode": template_code,
        "TemplateParam": json.dumps(template_param, ensure_ascii=False, separators=(",", ":")),
        "OutId": out_id,
    }


def read_reply(reply: dict[str, Any]) -> dict[str, Any]:
    code = str(reply.get("Code", ""))
    if code == "OK":
        return reply
    message = f"阿里云短信 {code}: {reply.get('Message', '')}"
    raise ProviderError(message, code=code, retry=code in RETRY_CODES)


@dataclass(frozen=True)
class Receipt:
    biz_id: str
    out_id: str
    delivered: bool
    code: str
    message: str
    reported_at: str


def parse_receipts(body: Any) -> list[Receipt]:
    if not isinstance(body, list):
        raise ProviderError("阿里云短信回执应为 JSON 数组", retry=False)
    return [
        Receipt(
            biz_id=str(item.get("biz_id") or ""),
            out_id=str(item.get("out_id") or ""),
            delivered=item.get("success") is True,
            code=str(item.get("err_code") or "")[:64],
            message=str(item.get("err_msg") or "")[:255],
            reported_at=str(item.get("report_time") or ""),
        )
        for item in body
        if isinstance(item, dict)
    ]
