"""Importing a shop's order export (CSV/XLSX) through a column mapping.

Bad rows are reported with row number, column and reason; the good rows are stored; a re-run
of the same file changes nothing. Lines of one order must be adjacent, as platform exports are.

A million-row export must import in about a minute, so rows are parsed a chunk and a column at a
time (each cell through the quick forms of ``kit.cells``), validated as plain dicts against the
schemas' declared limits (the schema itself is asked only about a row that fails them, to name the
reason), and stored with one bulk statement per table and batch.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import PLATFORM_LABELS, Platform, Shop
from aftersales.kit import cells
from aftersales.kit.cells import CellError
from aftersales.kit.memory import paused_collector
from aftersales.kit.tables import Chunk, FileFormatError, Table, read_table, require_columns
from aftersales.kit.time import all_as_utc
from aftersales.orders.couriers import courier_code
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderIn, OrderItemIn, ShipmentIn, plainly_invalid
from aftersales.orders.service import store_orders

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


def _filled(value: Any) -> bool:
    """A cell counts as filled when it has text or is bad (a formula, too long): parsing reports it."""
    try:
        return bool(cells.text(value))
    except CellError:
        return True


@dataclass
class ParsedChunk:
    """A chunk of rows parsed a column at a time: per field a list with one value per row, and the
    first error of each bad row (in the order the fields of a row are checked)."""

    size: int
    errors: dict[int, tuple[str, str]] = field(default_factory=dict)
    suspects: set[int] = field(default_factory=set)
    """Rows whose order or parcel the schemas might refuse (``plainly_invalid``)."""
    values: dict[str, list[Any]] = field(default_factory=dict)
    items: list[dict[str, Any] | None] = field(default_factory=list)
    shipments: list[dict[str, Any] | None] = field(default_factory=list)

    def fail(self, index: int, column: str, reason: str) -> None:
        """Keep the row's first error only, as parsing row by row stopped there."""
        self.errors.setdefault(index, (column, reason))

    def orders(self) -> list[dict[str, Any]]:
        """Each row's order fields (``values`` holds those only)."""
        names = list(self.values)
        return [dict(zip(names, row, strict=True)) for row in zip(*self.values.values(), strict=True)]


class ChunkParser:
    """Parses the mapped fields of a chunk of rows, each field's column at once; a row's error
    names the same column with the same reason as checking that row alone would."""

    def __init__(self, mapping: ColumnMapping, columns: dict[str, list[str]]) -> None:
        self.mapping = mapping
        self.columns = columns
        self.courier_codes: dict[str, str | None] = {}

    def _cells(self, chunk: Chunk, name: str) -> tuple[list[Any], list[str]]:
        """The cells of the first filled candidate column per row, and which column that was."""
        candidates = self.columns.get(name) or [name]
        if len(candidates) == 1:  # a lone column is read as it is
            return chunk.column(candidates[0]), [candidates[0]] * len(chunk.numbers)
        values, names = [], []
        for row in zip(*(chunk.column(c) for c in candidates), strict=True):
            chosen = next((k for k, value in enumerate(row) if _filled(value)), 0)
            values.append(row[chosen])
            names.append(candidates[chosen])
        return values, names

    def read(
        self,
        parsed: ParsedChunk,
        chunk: Chunk,
        name: str,
        parse: Callable[[Any], Any] = cells.text,
        where: list[bool] | None = None,
    ) -> list[Any]:
        """One field for every row; bad cells are errors of their rows (only of rows ``where`` says)."""
        values, names = self._cells(chunk, name)
        result, errors = cells.column(values, parse)
        for index, reason in errors.items():
            if where is None or where[index]:
                parsed.fail(index, names[index], reason)
        return result

    def optional(
        self,
        parsed: ParsedChunk,
        chunk: Chunk,
        name: str,
        parse: Callable[[Any], Any],
        where: list[bool] | None = None,
    ) -> list[Any]:
        """A field the mapping may not have (then ``None`` in every row)."""
        if not self.columns.get(name):
            return [None] * parsed.size
        return self.read(parsed, chunk, name, parse, where)

    def parse(self, chunk: Chunk) -> ParsedChunk:
        parsed = ParsedChunk(len(chunk.numbers))
        values = parsed.values
        paid = values["paid_fen"] = self.read(parsed, chunk, "paid", cells.money_fen)
        values["order_no"] = self.read(parsed, chunk, "order_no", cells.required_text)
        values["buyer_nick"] = self.read(parsed, chunk, "buyer_nick", cells.required_text)
        values["status"] = self._status(parsed, chunk)
        values["total_fen"] = (
            self.read(parsed, chunk, "total", cells.money_fen) if self.columns.get("total") else paid
        )
        values["postage_fen"] = self.read(parsed, chunk, "postage", cells.money_fen)
        for name in ("receiver_name", "receiver_phone"):
            values[name] = self.read(parsed, chunk, name)
        values["ordered_at"] = all_as_utc(self.read(parsed, chunk, "ordered_at", cells.timestamp))
        values["paid_at"] = all_as_utc(self.optional(parsed, chunk, "paid_at", cells.timestamp))
        for name in ("buyer_message", "seller_note", "invoice_title"):
            values[name] = self.read(parsed, chunk, name)
        self._address(parsed, chunk)
        for index, ordered_at in enumerate(values["ordered_at"]):
            if ordered_at is None:
                parsed.fail(index, self.columns["ordered_at"][0], "不能为空")
        parsed.suspects = plainly_invalid(OrderIn, values)
        parsed.items = self._items(parsed, chunk)
        parsed.shipments = self._shipments(parsed, chunk)
        return parsed

    def _status(self, parsed: ParsedChunk, chunk: Chunk) -> list[OrderStatus | None]:
        statuses = []
        for index, raw in enumerate(self.read(parsed, chunk, "status", cells.required_text)):
            status = self.mapping.status_map.get(raw) if raw is not None else None
            if raw is not None and status is None:
                parsed.fail(index, self.columns["status"][0], f"未知订单状态: {raw}")
            statuses.append(status)
        return statuses

    def _address(self, parsed: ParsedChunk, chunk: Chunk) -> None:
        names = ("province", "city", "district", "address")
        if self.columns.get("full_address"):
            split = self.read(parsed, chunk, "full_address", cells.split_address)
            empty = (None, None, None, None)
            for position, name in enumerate(names):
                parsed.values[name] = [(parts or empty)[position] for parts in split]
        else:
            for field_name, name in zip(("province", "city", "district", "street"), names, strict=True):
                parsed.values[name] = self.read(parsed, chunk, field_name)

    def _items(self, parsed: ParsedChunk, chunk: Chunk) -> list[dict[str, Any] | None]:
        """Each row's item line, when it names one; a line past the schema's limits fails its row."""
        titles = self.read(parsed, chunk, "item_title")
        listed = list(map(bool, titles))
        quantities = self.read(parsed, chunk, "item_quantity", cells.integer, listed)
        if self.columns.get("item_price"):
            prices = self.read(parsed, chunk, "item_price", cells.money_fen, listed)
        else:
            goods = self.optional(parsed, chunk, "goods_amount", cells.money_fen, listed)
            paid = parsed.values["paid_fen"]
            prices = [
                (good or paid_fen or 0) // max(1, quantity or 1) if line else None
                for good, paid_fen, quantity, line in zip(goods, paid, quantities, listed, strict=True)
            ]
        skus = self.read(parsed, chunk, "item_sku", cells.text, listed)
        lines = {
            "sku_code": skus,
            "title": titles,
            "quantity": [max(1, q or 1) for q in quantities],
            "unit_price_fen": prices,
        }
        names, errors = list(lines), parsed.errors
        items = [
            dict(zip(names, row, strict=True)) if line and index not in errors else None
            for index, (line, row) in enumerate(zip(listed, zip(*lines.values(), strict=True), strict=True))
        ]
        for index in sorted(plainly_invalid(OrderItemIn, lines)):
            item = items[index]
            if item is not None:
                self._refuse_item(parsed, index, item)
        return items

    def _refuse_item(self, parsed: ParsedChunk, index: int, item: dict[str, Any]) -> None:
        """The schema names the limit a line is past: that row only."""
        try:
            OrderItemIn(**item)
        except ValidationError as exc:
            error = exc.errors()[0]
            name = ITEM_FIELDS.get(str(error["loc"][0]), "item_title")
            parsed.fail(index, (self.columns.get(name) or [name])[0], str(error["msg"]))

    def _shipments(self, parsed: ParsedChunk, chunk: Chunk) -> list[dict[str, Any] | None]:
        """Each row's parcel, with the ship, estimated and delivery times the export has."""
        values = parsed.values
        shipped = all_as_utc(self.optional(parsed, chunk, "shipped_at", cells.timestamp))
        tracking = self.read(parsed, chunk, "tracking_no")
        if self.mapping.tracking_from_order:
            tracking = [
                no if not t and at else t
                for t, no, at in zip(tracking, values["order_no"], shipped, strict=True)
            ]
        codes = self._courier_codes(parsed, chunk, tracking)
        shipping = [code is not None for code in codes]
        parsed.suspects |= plainly_invalid(
            ShipmentIn,
            {"tracking_no": [t if code else None for t, code in zip(tracking, codes, strict=True)]},
        )
        estimated, delivered = (
            all_as_utc(self.optional(parsed, chunk, name, cells.timestamp, shipping))
            for name in ("estimated_delivery_at", "delivered_at")
        )
        return [
            {
                "courier": code,
                "tracking_no": number,
                # Exports without a ship time: the payment time keeps a re-import identical.
                "shipped_at": at or paid_at or ordered_at,
                "estimated_delivery_at": estimated_at,
                "delivered_at": delivered_at,
            }
            if code
            else None
            for code, number, at, paid_at, ordered_at, estimated_at, delivered_at in zip(
                codes,
                tracking,
                shipped,
                values["paid_at"],
                values["ordered_at"],
                estimated,
                delivered,
                strict=True,
            )
        ]

    def _courier_codes(self, parsed: ParsedChunk, chunk: Chunk, tracking: list[Any]) -> list[str | None]:
        """Each row's courier code where it has a tracking number; an unknown courier fails its row."""
        couriers = self.read(parsed, chunk, "courier")
        default = self.mapping.default_courier
        named = [
            (courier or default) if number else None
            for number, courier in zip(tracking, couriers, strict=True)
        ]
        known = {courier: self._courier_code(courier) for courier in set(named) if courier}
        codes = [known[courier] if courier else None for courier in named]
        for index, (courier, code) in enumerate(zip(named, codes, strict=True)):
            if courier and code is None:
                parsed.fail(index, self.columns["courier"][0], f"未知快递公司: {courier}")
        return codes

    def _courier_code(self, courier: str) -> str | None:
        if courier not in self.courier_codes:
            try:
                self.courier_codes[courier] = courier_code(courier)
            except KeyError:
                self.courier_codes[courier] = None
        return self.courier_codes[courier]


@dataclass(slots=True)
class PendingOrder:
    first_row: int
    fields: dict[str, Any]
    shop_code: str
    items: list[dict[str, Any]] = field(default_factory=list)
    shipments: dict[str, dict[str, Any]] = field(default_factory=dict)
    failed: bool = False
    suspect: bool = False
    """A line the schemas might refuse: they are asked before the order is stored."""


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
        self.shops_by_name = {
            name: (code, platform)
            for code, name, platform in session.execute(select(Shop.code, Shop.name, Shop.platform))
        }
        self.batch: dict[str, PendingOrder] = {}
        self.tracking_column = (mapping.fields.get("tracking_no") or ["tracking_no"])[0]

    def run(self, path: Path) -> ImportReport:
        with paused_collector():  # a CSV is read whole: its rows are a million cells too
            table = read_table(path)
        needed = {f: self.mapping.fields[f] for f in REQUIRED_FIELDS}
        if not self.shop_code and self.mapping.shop_name_column:
            needed["shop"] = [self.mapping.shop_name_column]
        elif not self.shop_code:
            raise FileFormatError("该映射没有店铺列,请用 --shop 指定店铺编码")
        if self.shop_code:
            self._check_given_shop()
        require_columns(table.headers, needed)
        with paused_collector():
            self._import(table)
        return self.report

    def _import(self, table: Table) -> None:
        columns = self.mapping.resolve(table.headers)
        parser = ChunkParser(self.mapping, columns)
        last_no: str | None = None
        for chunk in table.chunks(self.batch_size):
            parsed = parser.parse(chunk)
            shops = self._shops(parsed, chunk)
            orders = parsed.orders()
            group_nos = self._group_nos(parsed, chunk, columns.get("order_no") or [""])
            rows = zip(chunk.numbers, group_nos, orders, shops, strict=True)
            for index, (number, order_no, fields, shop) in enumerate(rows):
                if len(self.batch) >= self.batch_size and order_no != last_no:
                    self._store()
                last_no = order_no
                self._add_row(parsed, index, number, order_no, (fields, shop))
            self.report.rows += len(chunk.numbers)
            self.on_progress(len(chunk.numbers))
        if self.batch:
            self._store()

    @staticmethod
    def _group_nos(parsed: ParsedChunk, chunk: Chunk, order_columns: list[str]) -> list[str | None]:
        """Lines are grouped by the first order-number column's text (a bad one groups nothing):
        the order numbers themselves when the mapping names one column."""
        if len(order_columns) == 1:
            return parsed.values["order_no"]
        return cells.column(chunk.column(order_columns[0]))[0]

    def _shops(self, parsed: ParsedChunk, chunk: Chunk) -> list[str]:
        """Each row's shop code: the one given, or the shop named in the row (checked last)."""
        if self.shop_code:
            return [self.shop_code] * parsed.size
        column = self.mapping.shop_name_column
        assert column
        names, errors = cells.column(chunk.column(column))
        for index, reason in errors.items():
            parsed.fail(index, column, reason)
        codes = []
        for index, name in enumerate(names):
            code, platform = self.shops_by_name.get(name or "", ("", None))
            if index in errors:
                codes.append(code)
                continue
            if platform is None:
                parsed.fail(index, column, f"店铺不存在: {name or ''}")
            elif not self._platform_fits(platform):
                parsed.fail(index, column, self._wrong_platform(name or "", platform))
                code = ""
            codes.append(code)
        return codes

    def _platform_fits(self, platform: Platform) -> bool:
        """A platform's export only fills that platform's shops (淘宝 reports serve 天猫 shops too):
        a 淘宝 row whose shop name matches a 京东 shop must not become a 京东 order."""
        expected = self.mapping.platform
        return expected is None or platform == expected or {expected, platform} == {"taobao", "tmall"}

    def _wrong_platform(self, name: str, platform: Platform) -> str:
        expected = PLATFORM_LABELS[Platform(self.mapping.platform or "")]
        return f"店铺「{name}」是{PLATFORM_LABELS[platform]}店铺,与{expected}订单报表不符"

    def _check_given_shop(self) -> None:
        """``--shop`` of another platform than the mapping's: refused before anything is read."""
        shop = self.session.scalar(select(Shop).where(Shop.code == self.shop_code))
        if shop is not None and not self._platform_fits(shop.platform):
            raise FileFormatError(self._wrong_platform(shop.name, shop.platform))

    def _add_row(
        self,
        parsed: ParsedChunk,
        index: int,
        number: int,
        group_no: str | None,
        order: tuple[dict[str, Any], str],
    ) -> None:
        error = parsed.errors.get(index)
        if error is not None:
            self.report.errors.append(RowError(number, *error))
            if group_no in self.batch:
                self.batch[group_no].failed = True
            return
        fields, shop = order
        key = fields["order_no"]
        pending = self.batch.get(key)
        if pending is None:
            pending = self.batch[key] = PendingOrder(number, fields, shop)
        item, parcel = parsed.items[index], parsed.shipments[index]
        pending.suspect |= index in parsed.suspects
        if item:
            pending.items.append(item)
        if parcel:
            pending.shipments[parcel["tracking_no"]] = parcel

    def _store(self) -> None:
        orders, shipments = [], []
        batch = list(self.batch.values())
        odd = plainly_invalid(
            OrderIn, {"shop_code": [p.shop_code for p in batch], "items": [p.items for p in batch]}
        )
        for position, pending in enumerate(batch):
            if pending.failed:
                continue
            # the row's own dicts, completed in place: copying them per order cost more than storing
            order = pending.fields
            order["promised_delivery_at"] = None
            order["shop_code"] = pending.shop_code
            order["items"] = pending.items
            parcels = list(pending.shipments.values())
            for parcel in parcels:
                parcel["shop_code"] = pending.shop_code
                parcel["order_no"] = order["order_no"]
            refusal = (
                _refusal(order, parcels, self.tracking_column) if pending.suspect or position in odd else None
            )
            if refusal:
                self.report.errors.append(RowError(pending.first_row, *refusal))
                continue
            orders.append(order)
            shipments += parcels
        self.batch = {}
        stored = store_orders(self.session, orders, shipments)
        self.report.orders += len(orders) - len(stored.result.rejected)
        self.report.created += stored.result.created
        self.report.shipments += stored.shipments_created


def _refusal(
    order: dict[str, Any], parcels: list[dict[str, Any]], tracking_column: str
) -> tuple[str, str] | None:
    """Why the schemas refuse an order or one of its parcels (column and reason), if they do."""
    try:
        OrderIn(**{**order, "items": [OrderItemIn(**item) for item in order["items"]]})
    except ValueError as exc:
        return "-", str(exc).splitlines()[0]
    for parcel in parcels:
        try:
            ShipmentIn(**parcel)
        except ValidationError as exc:
            return tracking_column, str(exc.errors()[0]["msg"])  # the one limit a parcel can break
    return None
