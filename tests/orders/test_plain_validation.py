"""The column-wise pre-check of bulk imports must name every row the schemas refuse."""

from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from aftersales.orders.schemas import OrderIn, OrderItemIn, plainly_invalid


def _order(**overrides: Any) -> dict[str, Any]:
    fields = {
        "shop_code": "shop",
        "order_no": "A1",
        "buyer_nick": "buyer",
        "status": "paid",
        "total_fen": 100,
        "paid_fen": 100,
        "postage_fen": 0,
        "receiver_name": "张三",
        "buyer_message": "请尽快发货",
        "ordered_at": datetime(2026, 11, 11, tzinfo=UTC),
        "items": [],
    }
    return {**fields, **overrides}


ORDERS = [
    _order(),
    _order(order_no="A" * 65),
    _order(buyer_nick=""),
    _order(receiver_name="名" * 65),
    _order(paid_fen=-1),
    _order(total_fen=10**13),
    _order(buyer_message="留" * 5001),
    _order(seller_note="含\x00字符"),
    _order(items=[{"title": "杯", "unit_price_fen": 1}] * 501),
]


def _refused(model: Any, values: dict[str, Any]) -> bool:
    try:
        model(**values)
    except ValidationError:
        return True
    return False


def _columns(rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    names = {name for row in rows for name in row}
    return {name: [row.get(name) for row in rows] for name in names}


def test_every_order_the_schema_refuses_is_named() -> None:
    refused = {i for i, values in enumerate(ORDERS) if _refused(OrderIn, values)}
    assert refused == set(range(1, len(ORDERS)))
    assert refused <= plainly_invalid(OrderIn, _columns(ORDERS))


def test_a_valid_order_is_not_named() -> None:
    assert 0 not in plainly_invalid(OrderIn, _columns(ORDERS))


def test_every_item_line_past_a_limit_is_named() -> None:
    lines = [
        {"sku_code": "S1", "title": "杯", "quantity": 1, "unit_price_fen": 100},
        {"sku_code": "S" * 65, "title": "杯", "quantity": 1, "unit_price_fen": 100},
        {"sku_code": None, "title": "杯" * 256, "quantity": 1, "unit_price_fen": 100},
        {"sku_code": None, "title": "杯", "quantity": 10_001, "unit_price_fen": 100},
    ]
    assert plainly_invalid(OrderItemIn, _columns(lines)) == {1, 2, 3}
