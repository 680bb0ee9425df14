"""顺丰丰桥 (SF open platform): interception of a parcel in transit and return pickups.

Built to 丰桥's published protocol (open.sf-express.com "API文档": 通用接入规范 / 数字签名,
"截单转寄退回接口 EXP_RECE_WANTED_INTERCEPT" and "下订单接口 EXP_RECE_CREATE_ORDER", with the
official SDK's request templates ``18.wanted_intercept.json`` and ``01.order.json``):

- ``POST https://sfapi.sf-express.com/std/service`` (沙箱 ``https://sfapi-sbox.sf-express.com/std/service``),
  form ``partnerID`` (顾客编码), ``requestID`` (unique per call), ``serviceCode``, ``timestamp``
  (milliseconds), ``msgData`` (the service's JSON) and ``msgDigest``.
- ``msgDigest`` = Base64(MD5(URL-encode(``msgData + timestamp + checkword``, UTF-8))), the URL
  encoding being Java's ``URLEncoder`` (space as ``+``; ``*-._`` kept).
- Answers: ``{"apiResultCode", "apiErrorMsg", "apiResponseID", "apiResultData"}``; ``A1000`` is
  success and ``apiResultData`` is then a JSON string ``{"success", "errorCode", "errorMsg",
  "msgData"}``. ``A1005`` (流量受控), ``A1009`` (目标服务异常) and ``A1099`` (系统异常) are worth
  retrying; ``A1004`` (无对应服务权限) and ``A1006`` (数字签名无效) are the account's to fix.
- Interception: ``waybillNo``, ``serviceCode`` ``2`` (退回), ``role`` ``1`` (寄方), ``payMode``
  ``3`` with the shop's ``monthlyCardNo``, and ``newDestAddress`` (the shop's return address); a
  refusal is ``success: false`` with the network's reason. 丰桥 publishes no query of an
  interception's progress: the parcel's tracking (快递100 pushes) settles it, as for every courier.
- Pickup: ``EXP_RECE_CREATE_ORDER`` with ``isDocall=1`` (上门收件), ``sendStartTm``, the buyer as
  contact 1 and the shop's return address as contact 2, paid by the monthly card; the answer's
  ``waybillNoInfoList`` holds the return waybill and ``filterResult`` 3 means 不可收派.

A shop without a 顺丰丰桥 account keeps the simulated courier (the demo's and the tests').
"""

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote_plus

from sqlalchemy.orm import Session

from aftersales.connectors import courier_accounts, service, wire
from aftersales.connectors.errors import ProviderError
from aftersales.connectors.models import ConnectorAccount, Provider
from aftersales.kit.time import format_local, utcnow
from aftersales.logistics.couriers import (
    CourierContext,
    InterceptReply,
    PickupReply,
    register_courier,
)

INTERCEPT = "EXP_RECE_WANTED_INTERCEPT"
CREATE_ORDER = "EXP_RECE_CREATE_ORDER"
OK = "A1000"
RETRY_CODES = frozenset({"A1005", "A1009", "A1099"})
NOT_SERVICEABLE = 3


def digest(msg_data: str, timestamp: str, checkword: str) -> str:
    encoded = quote_plus(msg_data + timestamp + checkword, safe="*").replace("~", "%7E")
    return base64.b64encode(hashlib.md5(encoded.encode()).digest()).decode()


def signed_form(
    *, partner_id: str, checkword: str, service_code: str, data: dict[str, Any], now: datetime
) -> dict[str, str]:
    msg_data = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    timestamp = str(int(now.timestamp() * 1000))
    return {
        "partnerID": partner_id,
        "requestID": uuid.uuid4().hex,
        "serviceCode": service_code,
        "timestamp": timestamp,
        "msgData": msg_data,
        "msgDigest": digest(msg_data, timestamp, checkword),
    }


@dataclass(frozen=True)
class Result:
    success: bool
    code: str
    message: str
    data: Any


def read_reply(reply: dict[str, Any]) -> Result:
    code = str(reply.get("apiResultCode") or "")
    if code != OK:
        text = f"顺丰 {code} {reply.get('apiErrorMsg') or ''}".strip()
        raise ProviderError(text, code=code, retry=code in RETRY_CODES)
    try:
        body = json.loads(str(reply.get("apiResultData") or "{}"))
    except ValueError:
        raise ProviderError("顺丰 apiResultData 不是 JSON") from None
    message = str(body.get("errorMsg") or "")
    return Result(bool(body.get("success")), str(body.get("errorCode") or ""), message, body.get("msgData"))


def call(account: ConnectorAccount, service_code: str, data: dict[str, Any]) -> Result:
    creds = service.credentials(account)
    form = signed_form(
        partner_id=creds["partner_id"],
        checkword=creds["checkword"],
        service_code=service_code,
        data=data,
        now=utcnow(),
    )
    response = service.request("POST", service.endpoint(account), data=form)
    reply = wire.json_reply(response, "顺丰")
    return read_reply(reply)


def intercept_data(account: ConnectorAccount, tracking_no: str) -> dict[str, Any]:
    return {
        "waybillNo": tracking_no,
        "serviceCode": "2",
        "role": "1",
        "payMode": "3",
        "monthlyCardNo": str(account.settings.get("monthly_card") or ""),
        "newDestAddress": courier_accounts.return_address(account),
    }


def pickup_data(
    account: ConnectorAccount, context: CourierContext, address: str, slot_start: datetime
) -> dict[str, Any]:
    shop = courier_accounts.return_address(account)
    return {
        "orderId": context.reference,
        "language": "zh-CN",
        "isDocall": 1,
        "sendStartTm": format_local(slot_start, "%Y-%m-%d %H:%M:%S"),
        "payMethod": 1,
        "monthlyCard": str(account.settings.get("monthly_card") or ""),
        "expressTypeId": 1,
        "cargoDetails": [{"name": "退货商品", "count": 1}],
        "contactInfoList": [
            {
                "contactType": 1,
                "contact": context.name or "顾客",
                "mobile": context.phone or "",
                "address": address,
            },
            {
                "contactType": 2,
                "contact": shop["contact"],
                "mobile": shop["phone"],
                "province": shop["province"],
                "city": shop["city"],
                "county": shop["county"],
                "address": shop["address"],
            },
        ],
    }


class SfExpressCourier(courier_accounts.AccountCourier):
    """The ``sf`` courier adapter: 丰桥 for shops with an account, the simulated courier otherwise.
    丰桥 publishes no interception progress query: tracking settles a real interception."""

    provider, label, books_pickups = Provider.SF_EXPRESS, "顺丰", True

    def send_intercept(self, account: ConnectorAccount, tracking_no: str, context: CourierContext) -> Result:
        return call(account, INTERCEPT, intercept_data(account, tracking_no))

    def accepted(self, answer: courier_accounts.Answer, tracking_no: str) -> InterceptReply:
        return InterceptReply("accepted", tracking_no, "顺丰已受理截单退回,快件将退回寄件人")

    def send_pickup(
        self, account: ConnectorAccount, context: CourierContext, address: str, slot_start: datetime
    ) -> PickupReply:
        data = pickup_data(account, context, address, slot_start)
        result = courier_accounts.guarded(account, lambda: call(account, CREATE_ORDER, data))
        if result is None or not result.success:
            reason = result.message if result is not None else "顺丰接口不可用"
            return PickupReply("refused", detail=f"顺丰未接单: {reason}")
        body = result.data if isinstance(result.data, dict) else {}
        waybill = next(
            (str(w.get("waybillNo")) for w in body.get("waybillNoInfoList") or [] if w.get("waybillNo")), None
        )
        if int(body.get("filterResult") or 2) == NOT_SERVICEABLE or waybill is None:
            return PickupReply("refused", detail=f"顺丰不可收派: {body.get('remark') or '地址不在收派范围'}")
        return PickupReply("booked", None, waybill, "顺丰已接单,快递员将按时上门")


def check_connection(session: Session, account: ConnectorAccount) -> str:
    """测试连接: an interception request for a waybill that cannot exist; 丰桥 checks the signature
    and the permission first, so a business refusal proves the credentials."""
    result = call(account, INTERCEPT, intercept_data(account, "SF0000000000000"))
    return f"凭证有效(截单接口应答: {result.message or result.code or '已受理'})"


register_courier("sf", SfExpressCourier())
service.register_check(Provider.SF_EXPRESS, check_connection)
