"""Reshipment order shapes pushed to ERPs.

``generic`` is our own JSON (documented in docs/returns.md), sent as a signed webhook to the
shop's ``erp_url``.

An ERP in ``CONNECTED`` is reached by a connector instead (``connectors.jushuitan``,
``connectors.wangdiantong``: each in its own request format and signature, with credentials the
connector keeps encrypted): the push is queued on the outbox's ``erp`` channel in the ``generic``
shape, addressed to the ERP's name, and the connector translates, signs and sends it, then reads
the tracking number back itself.
"""

from collections.abc import Callable
from typing import Any

from aftersales.catalog.models import Shop
from aftersales.orders.models import Order
from aftersales.returns.models import Reshipment

Payload = dict[str, Any]


def out_order_no(reshipment: Reshipment) -> str:
    return f"RS{reshipment.id}"


def parse_out_order_no(value: str) -> int | None:
    digits = value.strip().upper().removeprefix("RS")
    return int(digits) if digits.isdigit() else None


def generic(reshipment: Reshipment, order: Order, shop: Shop, shop_no: str | None) -> Payload:
    return {
        "type": "reshipment",
        "version": 1,
        "out_order_no": out_order_no(reshipment),
        "shop_code": shop_no or shop.code,
        "platform": str(shop.platform),
        "platform_order_no": order.source_id,
        "reason": reshipment.reason,
        "courier_hint": reshipment.courier_hint,
        "receiver": {
            "name": reshipment.receiver_name,
            "phone": reshipment.receiver_phone,
            "province": reshipment.province,
            "city": reshipment.city,
            "district": reshipment.district,
            "address": reshipment.address,
        },
        "items": [
            {"sku_code": item.get("sku_code"), "title": item["title"], "quantity": item["quantity"]}
            for item in reshipment.items
        ],
        "created_at": reshipment.created_at.isoformat(),
    }


CONNECTED = {"jushuitan": "聚水潭", "wangdiantong": "旺店通"}
ERP_CHANNEL = "erp"
FORMATS: dict[str, Callable[[Reshipment, Order, Shop, str | None], Payload]] = {
    "generic": generic,
    **dict.fromkeys(CONNECTED, generic),
}
LABELS = {"generic": "通用 JSON", "wangdiantong": "旺店通", **CONNECTED}
