"""快递100 (kuaidi100) tracking: subscription (``poll``), push callback, real-time query.

Built to 快递100's published API (企业版, https://api.kuaidi100.com/document — "快递信息推送服务:
订阅接口 / 推送接口" and "实时快递查询接口"; the official demos at github.com/kuaidi100-api
(``php-demo/src/subscribe.php``, ``java-demo`` ``Subscribe.callBackUrl`` and ``SignUtils``)):

- 订阅 ``POST https://poll.kuaidi100.com/poll``, form ``schema=json`` and ``param`` = JSON
  ``{"company", "number", "key", "parameters": {"callbackurl", "salt", "resultv2", "phone"}}``;
  answer ``{"result", "returnCode", "message"}``: 200 提交成功, 501 重复订阅, 600 授权 key 错误,
  601 key 已过期, 700 订阅数据错误, 701 拒绝订阅的快递公司, 702 识别不到快递公司, 500 服务器错误.
- 推送: 快递100 POSTs a form with ``param`` (JSON: ``status`` polling/shutdown/abort/updateall,
  ``message``, ``lastResult`` {``com``, ``nu``, ``state``, ``data``: [{``context``, ``time``,
  ``ftime``, ``areaName``, ``statusCode``}]}) and ``sign`` = upper-case hex MD5 of
  ``param + salt``; the receiver answers ``{"result": true, "returnCode": "200", "message": "成功"}``,
  anything else makes 快递100 push again later. ``abort`` with "3天查询无记录" asks the
  subscriber to subscribe again after half an hour if the number is right.
- 实时查询 ``POST https://poll.kuaidi100.com/poll/query.do``, form ``customer``, ``param`` =
  JSON ``{"com", "num", "phone", "resultv2"}`` and ``sign`` = upper-case hex MD5 of
  ``param + key + customer``; the answer carries ``state`` and ``data`` as in a push, or
  ``{"result": false, "returnCode", "message"}`` (400 数据不完整/找不到公司, 500 查询无结果,
  501 服务器错误, 502 服务器繁忙, 503 验证签名失败, 601 key 已过期或余额不足).

顺丰 needs the receiver's or sender's phone number with every subscription and query.
快递100 publishes no sandbox; a test endpoint goes in the account's ``endpoint`` setting.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aftersales.connectors.errors import ProviderError
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.time import SHANGHAI, as_utc
from aftersales.orders.models import TrackingStatus
from aftersales.orders.schemas import TrackingEventIn
from aftersales.orders.tracking import classify

SUBSCRIBE_PATH = "/poll"
QUERY_PATH = "/poll/query.do"

# 快递100 快递公司编码 for the couriers the project knows (orders.couriers.COURIERS).
COMPANY_CODES: dict[str, str] = {
    "zto": "zhongtong",
    "yto": "yuantong",
    "yunda": "yunda",
    "sto": "shentong",
    "sf": "shunfeng",
    "jd": "jd",
    "ems": "ems",
    "jt": "jtexpress",
}
COURIER_BY_COMPANY = {company: courier for courier, company in COMPANY_CODES.items()}
NEEDS_PHONE = frozenset({"sf"})

# lastResult.state / data[].statusCode top-level values (resultv2=1).
STATE_STATUS: dict[str, TrackingStatus] = {
    "0": TrackingStatus.IN_TRANSIT,
    "1": TrackingStatus.COLLECTED,
    "2": TrackingStatus.EXCEPTION,
    "3": TrackingStatus.DELIVERED,
    "4": TrackingStatus.RETURNED,
    "5": TrackingStatus.OUT_FOR_DELIVERY,
    "6": TrackingStatus.RETURNED,
    "7": TrackingStatus.IN_TRANSIT,
    "8": TrackingStatus.IN_TRANSIT,
    "14": TrackingStatus.FAILED,
}

SUBSCRIBED_CODES = frozenset({"200", "501"})
CREDENTIAL_CODES = frozenset({"600", "601"})
REFUSED_CODES = frozenset({"700", "701", "702"})
QUERY_NO_RESULT = "500"
QUERY_CREDENTIAL_CODES = frozenset({"503", "601"})
PUSH_ACCEPTED = {"result": True, "returnCode": "200", "message": "成功"}


def md5_upper(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest().upper()


def push_sign(param: str, salt: str) -> str:
    """The signature 快递100 sends with a push: MD5(param + salt), upper-case hex."""
    return md5_upper(param + salt)


def query_sign(param: str, key: str, customer: str) -> str:
    """The real-time query's signature: MD5(param + key + customer), upper-case hex."""
    return md5_upper(param + key + customer)


def company_code(courier: str) -> str:
    try:
        return COMPANY_CODES[courier]
    except KeyError:
        raise ProviderError(f"快递100 没有快递公司 {courier} 的编码", retry=False) from None


def _param(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def subscribe_form(
    *, courier: str, tracking_no: str, key: str, callback_url: str, salt: str, phone: str | None
) -> dict[str, str]:
    parameters = {"callbackurl": callback_url, "salt": salt, "resultv2": "1"}
    if courier in NEEDS_PHONE and phone:
        parameters["phone"] = phone
    param = {"company": company_code(courier), "number": tracking_no, "key": key, "parameters": parameters}
    return {"schema": "json", "param": _param(param)}


def query_form(
    *, courier: str, tracking_no: str, key: str, customer: str, phone: str | None
) -> dict[str, str]:
    data = {"com": company_code(courier), "num": tracking_no, "resultv2": "1"}
    if courier in NEEDS_PHONE and phone:
        data["phone"] = phone
    param = _param(data)
    return {"customer": customer, "param": param, "sign": query_sign(param, key, customer)}


@dataclass(frozen=True)
class SubscribeOutcome:
    """``subscribed`` true: pushes will come. ``refused`` true: this number will never be accepted."""

    subscribed: bool
    refused: bool
    code: str
    message: str


def read_subscribe_reply(reply: dict[str, Any]) -> SubscribeOutcome:
    code = str(reply.get("returnCode", ""))
    message = str(reply.get("message", ""))
    if code in CREDENTIAL_CODES:
        raise ProviderError(f"快递100 拒绝了授权 key: {code} {message}", code=code, retry=False)
    return SubscribeOutcome(code in SUBSCRIBED_CODES, code in REFUSED_CODES, code, message)


def read_query_reply(reply: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The track of a successful query; None when 快递100 has no record yet (500 查询无结果)."""
    if reply.get("result") is not False:
        return list(reply.get("data") or [])
    code = str(reply.get("returnCode", ""))
    if code == QUERY_NO_RESULT:
        return None
    retry = code not in QUERY_CREDENTIAL_CODES and code != "400"
    raise ProviderError(f"快递100 实时查询失败: {code} {reply.get('message', '')}", code=code, retry=retry)


def _when(item: dict[str, Any]) -> datetime:
    text = str(item.get("ftime") or item.get("time"))
    try:
        return as_utc(datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI))
    except ValueError:
        raise InvalidInputError("param", f"快递100 轨迹时间格式不对: {text[:40]}") from None


def track_events(*, courier: str, tracking_no: str, data: list[dict[str, Any]]) -> list[TrackingEventIn]:
    """快递100 track entries as tracking events; status from the entry's code, else its text."""
    events = []
    for item in data:
        text = str(item.get("context") or "").strip()
        if not text:
            continue
        code = str(item.get("statusCode") or "")
        events.append(
            TrackingEventIn(
                courier=courier,
                tracking_no=tracking_no,
                occurred_at=_when(item),
                raw_text=text[:2000],
                location=(str(item["areaName"])[:128] if item.get("areaName") else None),
                status=STATE_STATUS.get(code) or classify(text),
            )
        )
    return events


@dataclass(frozen=True)
class Push:
    status: str
    message: str
    courier: str | None
    company: str
    tracking_no: str
    data: list[dict[str, Any]]


def parse_push(param: str) -> Push:
    try:
        body = json.loads(param)
        last = body.get("lastResult") or {}
        company = str(last.get("com") or "")
        return Push(
            status=str(body.get("status") or ""),
            message=str(body.get("message") or ""),
            courier=COURIER_BY_COMPANY.get(company),
            company=company,
            tracking_no=str(last.get("nu") or ""),
            data=list(last.get("data") or []),
        )
    except (ValueError, AttributeError, TypeError):
        raise InvalidInputError("param", "快递100 推送内容不是约定的 JSON") from None
