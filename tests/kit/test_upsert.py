"""The bulk upsert's parameter rows: the column-at-a-time build equals the plain per-row one."""

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from aftersales.catalog.models import Platform
from aftersales.kit.upsert import _converter, prepare_rows, prepare_rows_plainly
from aftersales.orders.models import Customer, Order, OrderStatus

NOW = datetime(2026, 11, 11, 8, 30, 15, 123456, tzinfo=UTC)
EAST_8 = timezone(timedelta(hours=8))


def _order(n: int, shared: datetime) -> dict[str, Any]:
    return {
        "platform": Platform.TAOBAO if n % 2 else "jd",
        "source_id": f"T{n}",
        "status": OrderStatus.SHIPPED if n % 3 else None,
        "total_fen": 19900 + n,
        "ordered_at": NOW + timedelta(seconds=n) if n % 4 else datetime(2026, 11, 11, 20, tzinfo=EAST_8),
        "paid_at": None if n % 5 == 0 else NOW,
        "updated_at": shared,
    }


def _customer(n: int) -> dict[str, Any]:
    return {"platform": Platform.TMALL, "source_id": f"b{n}", "is_vip": bool(n % 2) if n % 3 else None}


class TestPrepareRowsEqualsPlainly:
    @pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "pg"])
    @pytest.mark.parametrize(("model", "rows"), [
        (Order, [_order(n, NOW) for n in range(40)]),
        (Order, [_order(n, NOW + timedelta(seconds=n % 2)) for n in range(40)]),
        (Customer, [_customer(n) for n in range(30)]),
    ], ids=["orders sharing updated_at", "orders with two updated_at", "customers"])  # fmt: skip
    def test_same_parameters(self, dialect: Any, model: Any, rows: list[dict[str, Any]]) -> None:
        table = cast(Table, model.__table__)
        order = list(rows[0])
        converters = [_converter(table.c[name].type, dialect) for name in order]
        assert prepare_rows(rows, order, converters) == prepare_rows_plainly(rows, order, converters)

    def test_one_column_is_converted_too(self) -> None:
        rows = [{"ordered_at": NOW + timedelta(seconds=n)} for n in range(5)]
        converters = [_converter(cast(Table, Order.__table__).c.ordered_at.type, sqlite.dialect())]
        assert prepare_rows(rows, ["ordered_at"], converters) == [
            (f"2026-11-11 08:30:{15 + n}.123456",) for n in range(5)
        ]
