"""Reshipment order shapes pushed to ERPs.

``generic`` is our own JSON (documented in docs/returns.md). ``wangdiantong`` fills the business
parameters of 旺店通旗舰版 ``sales.RawTrade.pushSelf2`` (原始单推送, public API documentation):
``shop_no`` + ``rawTradeList`` + ``rawTradeOrderList``. The ERP's own request signature
(sid/appkey/salt/sign) belongs to the gateway that forwards our signed webhook; we never hold
ERP credentials.

An ERP in ``CONNECTED`` is reached by a connector instead (``connectors.jushuitan``: its own
request format and signature, with credentials the connector keeps encrypted): the push is queued
on the outbox's ``erp`` channel in the ``generic`` shape, addressed to the ERP's name, and the
connector translates, signs and sends it, then reads the tracking number back itself.
"""

from collections.abc import Callable
from typing import Any

from aftersales.catalog.models import Shop
from aftersales.kit.time import format_local
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


def wangdiantong(reshipment: Reshipment, order: Order, shop: Shop, shop_no: str | None) -> Payload:
    tid = out_order_no(reshipment)
    when = format_local(reshipment.created_at, "%Y-%m-%d %H:%M:%S")
    remark = f"补发 原单{order.source_id}:{reshipment.reason}"
    if reshipment.courier_hint:
        remark += f"(指定快递 {reshipment.courier_hint})"
    lines = [
        {
            "tid": tid,
            "oid": f"{tid}-{index}",
            "status": 30,
            "refund_status": 0,
            "goods_id": item.get("sku_code") or item["title"][:40],
            "spec_id": item.get("sku_code") or item["title"][:40],
            "goods_no": item.get("sku_code") or "",
            "spec_no": item.get("sku_code") or "",
            "goods_name": item["title"],
            "num": item["quantity"],
            "price": 0,
            "discount": 0,
            "share_discount": 0,
            "total_amount": 0,
            "adjust_amount": 0,
            "refund_amount": 0,
            "order_type": 0,
            "gift_type": 0,
            "remark": "补发",
            "json": "",
        }
        for index, item in enumerate(reshipment.items)
    ]
    trade = {
        "tid": tid,
        "process_status": 10,
        "trade_status": 30,
        "refund_status": 0,
        "pay_status": 2,
        "order_count": len(lines),
        "goods_count": sum(int(item["quantity"]) for item in reshipment.items),
        "pay_method": 1,
        "trade_time": when,
        "pay_time": when,
        "end_time": None,
        "buyer_nick": order.source_id,
        "buyer_message": "",
        "receiver_name": reshipment.receiver_name or "",
        "receiver_area": " ".join(
            p for p in (reshipment.province, reshipment.city, reshipment.district) if p
        ),
        "receiver_address": reshipment.address or "",
        "receiver_mobile": reshipment.receiver_phone or "",
        "post_amount": 0,
        "discount": 0,
        "receivable": 0,
        "delivery_term": 1,
        "is_auto_wms": False,
        "warehouse_no": "",
        "logistics_type": -1,
        "remark": remark,
    }
    return {"shop_no": shop_no or shop.code, "rawTradeList": [trade], "rawTradeOrderList": lines}


CONNECTED = {"jushuitan": "聚水潭"}
ERP_CHANNEL = "erp"
FORMATS: dict[str, Callable[[Reshipment, Order, Shop, str | None], Payload]] = {
    "generic": generic,
    "wangdiantong": wangdiantong,
    **dict.fromkeys(CONNECTED, generic),
}
LABELS = {"generic": "通用 JSON", "wangdiantong": "旺店通", **CONNECTED}
