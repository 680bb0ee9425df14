"""Importing a shop's order export (CSV/XLSX) through a column mapping.

Bad rows are reported with row number, column and reason; the good rows are stored; a re-run
of the same file changes nothing. Lines of one order must be adjacent, as platform exports are.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit import cells
from aftersales.kit.cells import CellError
from aftersales.kit.tables import FileFormatError, read_table, require_columns
from aftersales.orders.couriers import courier_code
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderIn, OrderItemIn, ShipmentIn
from aftersales.orders.service import ingest_orders, ingest_shipments

MAPPINGS_DIR = Path(__file__).parent / "mappings"
REQUIRED_FIELDS = ("order_no", "buyer_nick", "status", "paid", "ordered_at")
# OrderItemIn's fields -> the mapping's field names, to name the column of a refused line.
ITEM_FIELDS = {
    "sku_code": "item_sku",
    "title": "item_title",
    "quantity": "item_quantity",
    "unit_price_fen": "item_price",
}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"第 {self.row} 行, 列「{self.column}」: {self.reason}"


@dataclass
class ImportReport:
    rows: int = 0
    orders: int = 0
    created: int = 0
    shipments: int = 0
    errors: list[RowError] = field(default_factory=list)


@dataclass(frozen=True)
class ColumnMapping:
    platform: str | None
    fields: dict[str, list[str]]
    status_map: dict[str, OrderStatus]
    shop_name_column: str | None = None
    default_courier: str | None = None
    """For exports without a courier column (e.g. a marketplace that ships for the seller)."""
    tracking_from_order: bool = False
    """For exports without a tracking number: the one parcel of an order is keyed by the order number."""

    @classmethod
    def load(cls, name_or_path: str) -> "ColumnMapping":
        """A packaged mapping by name (taobao, jd, douyin, pdd, generic) or a YAML file path."""
        path = Path(name_or_path)
        if not path.exists():
            path = MAPPINGS_DIR / f"{name_or_path}.yaml"
        if not path.exists():
            raise FileFormatError(f"找不到列映射: {name_or_path}")
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        fields = {k: v if isinstance(v, list) else [v] for k, v in data["fields"].items()}
        status_map = {k: OrderStatus(v) for k, v in data.get("status_map", {}).items()}
        return cls(
            data.get("platform"),
            fields,
            status_map,
            data.get("shop_name_column"),
            data.get("default_courier"),
            bool(data.get("tracking_from_order", False)),
        )

    def resolve(self, headers: list[str]) -> dict[str, list[str]]:
        """Only the candidate columns this file actually has, per field."""
        return {f: [c for c in cols if c in headers] for f, cols in self.fields.items()}


@dataclass
class ParsedRow:
    order: dict[str, Any]
    item: OrderItemIn | None
    shipment: dict[str, Any] | None


def _filled(value: Any) -> bool:
    """A cell counts as filled when it has text or is bad (a formula, too long): parsing reports it."""
    try:
        return bool(cells.text(value))
    except CellError:
        return True


def _order_no(parser: "RowParser", row: dict[str, Any]) -> str | None:
    """The row's order number for grouping lines; a bad one groups nothing (its row is reported)."""
    try:
        return cells.text(row.get((parser.columns.get("order_no") or [""])[0]))
    except CellError:
        return None


class RowParser:
    def __init__(self, mapping: ColumnMapping, columns: dict[str, list[str]]) -> None:
        self.mapping = mapping
        self.columns = columns

    def cell(self, row: dict[str, Any], name: str, parse: Callable[[Any], Any] = cells.text) -> Any:
        """Parse the first non-empty candidate column; errors name that column."""
        candidates = self.columns.get(name) or [name]
        chosen = candidates[0]
        if len(candidates) > 1:  # the first filled one; a lone column is read as it is
            chosen = next((c for c in candidates if _filled(row.get(c))), chosen)
        try:
            return parse(row.get(chosen))
        except CellError as exc:
            raise RowFieldError(chosen, str(exc)) from None

    def status(self, row: dict[str, Any]) -> OrderStatus:
        raw = self.cell(row, "status", cells.required_text)
        if raw not in self.mapping.status_map:
            raise RowFieldError(self.columns["status"][0], f"未知订单状态: {raw}")
        return self.mapping.status_map[raw]

    def address(self, row: dict[str, Any]) -> dict[str, Any]:
        if self.columns.get("full_address"):
            province, city, district, street = self.cell(row, "full_address", cells.split_address)
        else:
            province, city, district, street = (
                self.cell(row, f) for f in ("province", "city", "district", "street")
            )
        return {"province": province, "city": city, "district": district, "address": street}

    def parse(self, row: dict[str, Any]) -> ParsedRow:
        paid = self.cell(row, "paid", cells.money_fen)
        order = {
            "order_no": self.cell(row, "order_no", cells.required_text),
            "buyer_nick": self.cell(row, "buyer_nick", cells.required_text),
            "status": self.status(row),
            "paid_fen": paid,
            "total_fen": self.cell(row, "total", cells.money_fen) if self.columns.get("total") else paid,
            "postage_fen": self.cell(row, "postage", cells.money_fen),
            "receiver_name": self.cell(row, "receiver_name"),
            "receiver_phone": self.cell(row, "receiver_phone"),
            "ordered_at": self.cell(row, "ordered_at", cells.timestamp),
            "paid_at": self.time(row, "paid_at"),
            "buyer_message": self.cell(row, "buyer_message"),
            "seller_note": self.cell(row, "seller_note"),
            "invoice_title": self.cell(row, "invoice_title"),
            **self.address(row),
        }
        if order["ordered_at"] is None:
            raise RowFieldError(self.columns["ordered_at"][0], "不能为空")
        return ParsedRow(order, self.item(row, order), self.shipment(row, order))

    def item(self, row: dict[str, Any], order: dict[str, Any]) -> OrderItemIn | None:
        title = self.cell(row, "item_title")
        if not title:
            return None
        quantity = max(1, self.cell(row, "item_quantity", cells.integer))
        if self.columns.get("item_price"):
            price = self.cell(row, "item_price", cells.money_fen)
        else:
            goods = self.cell(row, "goods_amount", cells.money_fen) if self.columns.get("goods_amount") else 0
            price = (goods or order["paid_fen"]) // quantity
        fields = {
            "sku_code": self.cell(row, "item_sku"),
            "title": title,
            "quantity": quantity,
            "unit_price_fen": price,
        }
        try:
            return OrderItemIn(**fields)
        except ValidationError as exc:  # a limit of the schema (title length, quantity): this row only
            error = exc.errors()[0]
            name = ITEM_FIELDS.get(str(error["loc"][0]), "item_title")
            raise RowFieldError((self.columns.get(name) or [name])[0], str(error["msg"])) from None

    def time(self, row: dict[str, Any], name: str) -> datetime | None:
        return self.cell(row, name, cells.timestamp) if self.columns.get(name) else None

    def shipment(self, row: dict[str, Any], order: dict[str, Any]) -> dict[str, Any] | None:
        """The parcel of the row, with the ship, estimated and delivery times the export has."""
        shipped_at = self.time(row, "shipped_at")
        tracking_no = self.cell(row, "tracking_no")
        if not tracking_no and self.mapping.tracking_from_order and shipped_at:
            tracking_no = order["order_no"]
        courier = self.cell(row, "courier") or self.mapping.default_courier
        if not tracking_no or not courier:
            return None
        try:
            code = courier_code(courier)
        except KeyError:
            raise RowFieldError(self.columns["courier"][0], f"未知快递公司: {courier}") from None
        return {
            "courier": code,
            "tracking_no": tracking_no,
            # Exports without a ship time: the payment time keeps a re-import identical.
            "shipped_at": shipped_at or order["paid_at"] or order["ordered_at"],
            "estimated_delivery_at": self.time(row, "estimated_delivery_at"),
            "delivered_at": self.time(row, "delivered_at"),
        }


class RowFieldError(Exception):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


@dataclass
class PendingOrder:
    first_row: int
    fields: dict[str, Any]
    shop_code: str
    items: list[OrderItemIn] = field(default_factory=list)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: bool = False


class OrderImporter:
    def __init__(
        self,
        session: Session,
        mapping: ColumnMapping,
        *,
        shop_code: str | None = None,
        batch_size: int = 2000,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        self.session = session
        self.mapping = mapping
        self.shop_code = shop_code
        self.batch_size = batch_size
        self.on_progress = on_progress or (lambda _n: None)
        self.report = ImportReport()
        self.shop_codes_by_name = {name: code for code, name in session.execute(select(Shop.code, Shop.name))}

    def run(self, path: Path) -> ImportReport:
        table = read_table(path)
        needed = {f: self.mapping.fields[f] for f in REQUIRED_FIELDS}
        if not self.shop_code and self.mapping.shop_name_column:
            needed["shop"] = [self.mapping.shop_name_column]
        elif not self.shop_code:
            raise FileFormatError("该映射没有店铺列,请用 --shop 指定店铺编码")
        require_columns(table.headers, needed)
        parser = RowParser(self.mapping, self.mapping.resolve(table.headers))
        for batch in self._batches(parser, table.rows):
            self._store(batch)
        return self.report

    def _shop_for(self, row: dict[str, Any]) -> str:
        if self.shop_code:
            return self.shop_code
        assert self.mapping.shop_name_column
        name = cells.text(row.get(self.mapping.shop_name_column)) or ""
        if name not in self.shop_codes_by_name:
            raise RowFieldError(self.mapping.shop_name_column, f"店铺不存在: {name}")
        return self.shop_codes_by_name[name]

    def _batches(
        self, parser: RowParser, rows: Iterator[tuple[int, dict[str, Any]]]
    ) -> Iterator[list[PendingOrder]]:
        batch: dict[str, PendingOrder] = {}
        last_no = None
        for number, row in rows:
            self.report.rows += 1
            order_no = _order_no(parser, row)
            if len(batch) >= self.batch_size and order_no != last_no:
                yield list(batch.values())
                batch = {}
            last_no = order_no
            self._add_row(batch, parser, number, row)
            self.on_progress(1)
        if batch:
            yield list(batch.values())

    def _add_row(
        self, batch: dict[str, PendingOrder], parser: RowParser, number: int, row: dict[str, Any]
    ) -> None:
        try:
            parsed = parser.parse(row)
            shop_code = self._shop_for(row)
        except RowFieldError as exc:
            self.report.errors.append(RowError(number, exc.column, exc.reason))
            order_no = _order_no(parser, row)
            if order_no in batch:
                batch[order_no].failed = True
            return
        key = parsed.order["order_no"]
        pending = batch.setdefault(key, PendingOrder(number, parsed.order, shop_code))
        if parsed.item:
            pending.items.append(parsed.item)
        if parsed.shipment:
            pending.shipments[parsed.shipment["tracking_no"]] = parsed.shipment

    def _store(self, batch: list[PendingOrder]) -> None:
        orders, shipments = [], []
        for pending in batch:
            if pending.failed:
                continue
            try:
                orders.append(OrderIn(**pending.fields, shop_code=pending.shop_code, items=pending.items))
            except ValueError as exc:
                self.report.errors.append(RowError(pending.first_row, "-", str(exc).splitlines()[0]))
                continue
            shipments += [
                ShipmentIn(shop_code=pending.shop_code, order_no=pending.fields["order_no"], **s)
                for s in pending.shipments.values()
            ]
        result = ingest_orders(self.session, orders)
        self.report.orders += len(orders) - len(result.rejected)
        self.report.created += result.created
        self.report.shipments += ingest_shipments(self.session, shipments).created if shipments else 0
