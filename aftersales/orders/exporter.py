"""Exporting orders in the ``generic`` layout (one row per item line), CSV or XLSX.

Headers, statuses and couriers are in Chinese and the workbook's amounts are numbers, as a shop's
staff read them; the ``generic`` mapping reads these headers (and the English field names), so a
revealed export re-imports with ``--mapping generic`` to the same orders. Phone numbers,
addresses and names are masked unless the caller may see them. Every cell goes through
``cells.export_cell`` last, after masking, so no buyer-typed text opens as a formula.
"""

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, selectinload

from aftersales.kit.cells import export_cell
from aftersales.kit.pii import mask_address, mask_name, mask_phone
from aftersales.kit.tables import FileFormatError
from aftersales.kit.time import format_local
from aftersales.orders.couriers import courier_name
from aftersales.orders.models import Customer, Order, OrderItem, OrderStatus, Shipment

COLUMNS = (
    "order_no buyer_nick status total_yuan paid_yuan postage_yuan receiver_name receiver_phone province city "
    "district address ordered_at paid_at item_title sku_code quantity unit_price_yuan tracking_no courier"
).split()
HEADERS = {
    "order_no": "订单号",
    "buyer_nick": "买家账号",
    "status": "订单状态",
    "total_yuan": "订单金额(元)",
    "paid_yuan": "实付金额(元)",
    "postage_yuan": "邮费(元)",
    "receiver_name": "收货人",
    "receiver_phone": "收货手机",
    "province": "省份",
    "city": "城市",
    "district": "区县",
    "address": "详细地址",
    "ordered_at": "下单时间",
    "paid_at": "付款时间",
    "item_title": "商品名称",
    "sku_code": "商品编码",
    "quantity": "数量",
    "unit_price_yuan": "单价(元)",
    "tracking_no": "运单号",
    "courier": "快递公司",
}
STATUS_NAMES = {
    OrderStatus.PENDING_PAYMENT: "待付款",
    OrderStatus.PAID: "待发货",
    OrderStatus.SHIPPED: "已发货",
    OrderStatus.COMPLETED: "交易成功",
    OrderStatus.CLOSED: "交易关闭",
}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
PAGE = 2000


def _yuan(fen: int) -> Decimal:
    """A number with two decimals: the workbook keeps it a number, the CSV writes ``199.00``."""
    return Decimal(fen).scaleb(-2)


def _order_cells(order: Order, buyer: str, reveal: bool) -> dict[str, Any]:
    return {
        "order_no": order.source_id,
        "buyer_nick": buyer,
        "status": STATUS_NAMES[order.status],
        "total_yuan": _yuan(order.total_fen),
        "paid_yuan": _yuan(order.paid_fen),
        "postage_yuan": _yuan(order.postage_fen),
        "receiver_name": order.receiver_name if reveal else mask_name(order.receiver_name),
        "receiver_phone": order.receiver_phone if reveal else mask_phone(order.receiver_phone),
        "province": order.province,
        "city": order.city,
        "district": order.district,
        "address": order.address if reveal else mask_address(order.address),
        "ordered_at": format_local(order.ordered_at, TIME_FORMAT),
        "paid_at": format_local(order.paid_at, TIME_FORMAT),
    }


def _line_cells(order: Order) -> Iterator[dict[str, Any]]:
    """One row per item; each parcel's tracking number rides on the line with its position."""
    parcels: list[Shipment] = list(order.shipments)
    lines: list[OrderItem | None] = list(order.items) or [None]
    for index, item in enumerate(lines):
        parcel = parcels[index] if index < len(parcels) else None
        yield {
            "item_title": item.title if item else None,
            "sku_code": item.sku_code if item else None,
            "quantity": item.quantity if item else None,
            "unit_price_yuan": _yuan(item.unit_price_fen) if item else None,
            "tracking_no": parcel.tracking_no if parcel else None,
            "courier": courier_name(parcel.courier) if parcel else None,
        }


def export_rows(session: Session, statement: Select[Any], *, reveal: bool) -> Iterator[list[Any]]:
    """Rows in ``COLUMNS`` order, a page of orders at a time so memory stays flat."""
    last_id = 0
    while True:
        page = session.execute(
            statement.where(Order.id > last_id)
            .join(Customer, Customer.id == Order.customer_id)
            .add_columns(Customer.source_id)
            .options(selectinload(Order.items), selectinload(Order.shipments))
            .order_by(None)
            .order_by(Order.id)
            .limit(PAGE)
        ).all()
        if not page:
            return
        for order, buyer in page:
            base = _order_cells(order, buyer, reveal)
            for line in _line_cells(order):
                cells = base | line
                yield [cells[c] for c in COLUMNS]
        last_id = page[-1][0].id


def export_orders(session: Session, path: Path, *, reveal: bool, shop_id: int | None = None) -> int:
    statement = select(Order)
    if shop_id is not None:
        statement = statement.where(Order.shop_id == shop_id)
    rows = export_rows(session, statement, reveal=reveal)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _write_csv(path, rows)
    if suffix == ".xlsx":
        return _write_xlsx(path, rows)
    raise FileFormatError(f"不支持的导出格式 {path.suffix}(支持 .csv 与 .xlsx)")


def _write_csv(path: Path, rows: Iterator[list[Any]]) -> int:
    count = 0
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow([HEADERS[c] for c in COLUMNS])
        for row in rows:
            writer.writerow(["" if v is None else export_cell(v) for v in row])
            count += 1
    return count


def _write_xlsx(path: Path, rows: Iterator[list[Any]]) -> int:
    from openpyxl import Workbook  # half a second to import: only when a workbook is written

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("订单")
    sheet.append([HEADERS[c] for c in COLUMNS])
    count = 0
    for row in rows:
        sheet.append([export_cell(v) for v in row])
        count += 1
    workbook.save(path)
    return count
