"""中通快递 (ZTO open platform, ZOP): interception of a parcel in transit.

Built to 中通开放平台's published protocol (open.zto.com 文档中心: 接入指南 / 签名说明 documents
menuId=4, "拦截服务发起接口 thirdcenter.createIntercept" in interfaces resourceGroup=40; the
official ``zopsdk-java`` ``ZopClient``):

- ``POST https://japi.zto.com/{接口名}`` (测试环境 ``https://japi-test.zto.com``), a JSON body,
  headers ``x-appKey`` (the app key from 控制台 › 应用详情) and ``x-dataDigest`` =
  Base64(MD5(body + appSecret)) over the UTF-8 bytes of the body exactly as sent.
- Answers: ``{"status": true|false, "statusCode", "message", "result"}``. The public error codes:
  ``S200`` 请求超时, ``S202`` 发生错误, ``S203`` 服务暂不可用, ``S206`` api qos limit and
  ``S221`` API 流控 are worth retrying; ``S207`` API 不存在, ``S208`` 必填参数, ``S210`` 无权限访问,
  ``S211`` 签名错误, ``S212`` IP 限制, ``S214`` 时间戳非法 and the ``E4xx`` 数据鉴权 codes are the
  account's to fix. Any other ``status: false`` is the network refusing this interception.
- ``thirdcenter.createIntercept``: ``billCode``, ``requestId`` (幂等: the same id is one
  interception, so a retried request never doubles it), ``thirdBizNo`` (our reference),
  ``destinationType`` ``2`` 返回寄件人地址, or ``4`` 退回指定地址 with ``receiveUsername``,
  ``receivePhone``, ``receiveProvince``, ``receiveCity``, ``receiveDistrict``, ``receiveAddress``
  when the shop set a return address; the answer's ``result.centerBizNo`` is 中通's work order.
- 中通 also publishes ``thirdcenter.queryInterceptAndReturnStatus``, but not the meaning of the
  statuses it answers in the material we could read, so, as for 顺丰, the parcel's tracking settles
  an accepted interception.

A shop without a 中通 account keeps the simulated courier (the demo's and the tests').
"""

import base64
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from aftersales.connectors import courier_accounts, service, wire
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.logistics.couriers import (
    CourierContext,
    InterceptReply,
    register_courier,
)

CREATE_INTERCEPT = "/thirdcenter.createIntercept"
RETRY_CODES = frozenset({"S200", "S202", "S203", "S206", "S221"})
RETURN_TO_SENDER, RETURN_TO_ADDRESS = 2, 4


def digest(body: str, app_secret: str) -> str:
    return base64.b64encode(hashlib.md5((body + app_secret).encode()).digest()).decode()


def signed_request(*, app_key: str, app_secret: str, data: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body as sent and its headers: the digest must cover exactly these bytes."""
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    headers = {
        "Content-Type": "application/json; charset=UTF-8",
        "x-appKey": app_key,
        "x-dataDigest": digest(body, app_secret),
    }
    return body.encode(), headers


@dataclass(frozen=True)
class Result:
    success: bool
    code: str
    message: str
    result: Any


def read_reply(reply: dict[str, Any]) -> Result:
    code = str(reply.get("statusCode") or "")
    message = str(reply.get("message") or "")
    if reply.get("status") is True:
        return Result(True, code, message, reply.get("result"))
    if code in RETRY_CODES or code.startswith(("S", "E4")):
        raise ProviderError(f"中通 {code} {message}".strip(), code=code, retry=code in RETRY_CODES)
    return Result(False, code, message, reply.get("result"))


def call(account: ConnectorAccount, api: str, data: dict[str, Any]) -> Result:
    creds = service.credentials(account)
    body, headers = signed_request(app_key=creds["app_key"], app_secret=creds["app_secret"], data=data)
    response = service.request("POST", service.endpoint(account) + api, content=body, headers=headers)
    return read_reply(wire.json_reply(response, "中通"))


def intercept_data(account: ConnectorAccount, tracking_no: str, reference: str) -> dict[str, Any]:
    """Back to the shop's return address when one is set, else back to the sender."""
    data: dict[str, Any] = {
        "billCode": tracking_no,
        "requestId": reference,
        "thirdBizNo": reference,
        "destinationType": RETURN_TO_SENDER,
    }
    if not account.settings.get("return_address"):
        return data
    shop = courier_accounts.return_address(account)
    return data | {
        "destinationType": RETURN_TO_ADDRESS,
        "receiveUsername": shop["contact"],
        "receivePhone": shop["phone"],
        "receiveProvince": shop["province"],
        "receiveCity": shop["city"],
        "receiveDistrict": shop["county"],
        "receiveAddress": shop["address"],
    }


class ZtoCourier(courier_accounts.AccountCourier):
    """The ``zto`` courier adapter: 中通's interception for shops with an account, the simulated
    courier otherwise (and for return pickups, which this adapter does not book)."""

    provider, label = Provider.ZTO, "中通"

    def send_intercept(self, account: ConnectorAccount, tracking_no: str, context: CourierContext) -> Result:
        return call(account, CREATE_INTERCEPT, intercept_data(account, tracking_no, context.reference))

    def accepted(self, answer: courier_accounts.Answer, tracking_no: str) -> InterceptReply:
        body = answer.result if isinstance(answer, Result) and isinstance(answer.result, dict) else {}
        return InterceptReply(
            "accepted", str(body.get("centerBizNo") or tracking_no), "中通已受理拦截,快件将退回"
        )


def check_connection(session: Session, account: ConnectorAccount) -> str:
    """测试连接: an interception of a waybill that cannot exist; 中通 checks the digest and the
    permission before the waybill, so a business refusal proves the credentials."""
    result = call(account, CREATE_INTERCEPT, intercept_data(account, "000000000000", "IC0"))
    return f"凭证有效(拦截接口应答: {result.message or result.code or '已受理'})"


register_courier("zto", ZtoCourier())
service.register_check(Provider.ZTO, check_connection)
