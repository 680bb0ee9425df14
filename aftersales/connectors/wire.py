"""What the providers' wire formats share: a JSON object as the answer, times written as Beijing
wall-clock text (``yyyy-MM-dd HH:mm:ss``, GMT+8) and amounts in yuan, as TOP, 拼多多 and 聚水潭
write them."""

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from aftersales.connectors.errors import ProviderError
from aftersales.kit.time import SHANGHAI, as_utc

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def json_reply(response: httpx.Response, label: str) -> dict[str, Any]:
    """The answer's JSON object; a body that is not JSON is a retryable ``ProviderError``."""
    try:
        reply = json.loads(response.text)
    except ValueError:
        raise ProviderError(f"{label}应答不是 JSON (HTTP {response.status_code})") from None
    return reply if isinstance(reply, dict) else {}


def parse_local(text: Any) -> datetime | None:
    """Beijing wall-clock text as UTC; None when empty or unreadable."""
    if not text:
        return None
    try:
        return as_utc(datetime.strptime(str(text), TIME_FORMAT).replace(tzinfo=SHANGHAI))
    except ValueError:
        return None


def fen(value: Any) -> int:
    """An amount in yuan (``"399.00"``, ``399.0``) as integer fen; unreadable is 0."""
    try:
        return int((Decimal(str(value or "0")) * 100).to_integral_value())
    except InvalidOperation:
        return 0
