"""Courier codes and the display names platforms and couriers use for them."""

COURIERS: dict[str, str] = {
    "zto": "中通快递",
    "yto": "圆通速递",
    "yunda": "韵达快递",
    "sto": "申通快递",
    "sf": "顺丰速运",
    "jd": "京东快递",
    "ems": "邮政EMS",
    "jt": "极兔速递",
    "other": "其他快递",
}

_ALIASES: dict[str, str] = {
    **{name: code for code, name in COURIERS.items()},
    "中通": "zto",
    "圆通": "yto",
    "韵达": "yunda",
    "申通": "sto",
    "顺丰": "sf",
    "顺丰快递": "sf",
    "京东物流": "jd",
    "京东": "jd",
    "EMS": "ems",
    "邮政": "ems",
    "中国邮政": "ems",
    "邮政快递包裹": "ems",
    "极兔": "jt",
    "极兔快递": "jt",
    "J&T": "jt",
    "其他": "other",
}


def courier_code(value: str) -> str:
    """Map a code or display name to the courier code; raises ``KeyError`` for unknown ones."""
    text = value.strip()
    if text.lower() in COURIERS:
        return text.lower()
    return _ALIASES[text]


def courier_name(code: str) -> str:
    return COURIERS.get(code, code)
