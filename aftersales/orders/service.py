"""Ingestion of orders, parcels and tracking events: bulk, set-based and idempotent.

Every record is keyed by its source (platform + order number, courier + tracking number,
parcel + event id), so a repeat delivery updates in place and never duplicates.
"""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import chain, repeat
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, delete, select, tuple_
from sqlalchemy.orm import Session

from aftersales.audit import service as audit
from aftersales.audit.models import AuditAction
from aftersales.auth.models import Role, User
from aftersales.catalog.models import Platform, Shop, Sku
from aftersales.kit.errors import InvalidInputError, PermissionDeniedError
from aftersales.kit.events import publish
from aftersales.kit.memory import paused_collector
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import upsert, upsert_columns
from aftersales.orders import repository
from aftersales.orders.errors import OrderNotFoundError
from aftersales.orders.events import OrdersIngested, ShipmentsIngested, TrackingUpdated
from aftersales.orders.models import (
    Customer,
    Order,
    OrderItem,
    OrderRequestKey,
    Shipment,
    ShipmentDirection,
    TrackingEvent,
    TrackingStatus,
)
from aftersales.orders.schemas import IngestResult, OrderIn, OrderPii, ShipmentIn, TrackingEventIn
from aftersales.orders.tracking import classify, event_source_id

CUSTOMER_UPDATES = ("name", "phone", "province", "city", "is_vip")
ORDER_UPDATES = (
    "shop_id customer_id status total_fen paid_fen postage_fen receiver_name receiver_phone province city "
    "district address buyer_message seller_note invoice_title ordered_at paid_at promised_delivery_at"
).split()
ITEM_UPDATES = ("sku_id", "sku_code", "title", "quantity", "unit_price_fen", "is_gift")
# The columns an order's own fields fill (shop, buyer and key are looked up).
ORDER_FIELDS = ORDER_UPDATES[2:]
SHIPMENT_DEFAULTS = {
    "estimated_delivery_at": None,
    "delivered_at": None,
    "item_summary": None,
    "item_lines": None,
    "is_reshipment": False,
    "direction": ShipmentDirection.OUTBOUND,
}
SHIPMENT_UPDATES = (
    "order_id",
    "shipped_at",
    "estimated_delivery_at",
    "item_summary",
    "item_lines",
    "is_reshipment",
    "direction",
)


class Rejections:
    """Per-record problems reported back to the sender, the others still being stored."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, index: int, field: str, reason: str) -> None:
        self.items.append({"index": index, "field": field, "reason": reason})


# Built once: every order or parcel ingested looks its shop up, and building the statement cost
# more than the database took to answer it.
_SHOPS_BY_CODE = select(Shop.code, Shop.id, Shop.platform).where(
    Shop.code.in_(bindparam("codes", expanding=True))
)


def _shops_by_code(session: Session, codes: set[str]) -> dict[str, Any]:
    """Each shop's ``id`` and ``platform`` by its code."""
    return {row.code: row for row in session.execute(_SHOPS_BY_CODE, {"codes": sorted(codes)})}


def _sku_ids(session: Session, pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    if not pairs:
        return {}
    rows = session.execute(
        select(Sku.shop_id, Sku.code, Sku.id).where(tuple_(Sku.shop_id, Sku.code).in_(list(pairs)))
    )
    return {(shop_id, code): sku_id for shop_id, code, sku_id in rows}


@dataclass
class StoredOrders:
    result: IngestResult
    shipments_created: int = 0


def ingest_orders(session: Session, orders: Sequence[OrderIn]) -> IngestResult:
    """Upsert customers, orders and their item lines in a handful of bulk statements."""
    return store_orders(session, [o.__dict__ for o in orders]).result


def store_orders(
    session: Session, orders: Sequence[dict[str, Any]], shipments: Sequence[dict[str, Any]] = ()
) -> StoredOrders:
    """Store validated plain orders (``OrderIn``'s fields, times in UTC, items as dicts or
    ``OrderItemIn``) and the
    parcels of those orders (``ShipmentIn``'s fields, courier as its code): one bulk statement per
    table and batch, so a spreadsheet import does not build a model per row."""
    with paused_collector():
        return _store_orders(session, orders, shipments)


def _store_orders(
    session: Session, orders: Sequence[dict[str, Any]], shipments: Sequence[dict[str, Any]]
) -> StoredOrders:
    rejections = Rejections()
    shops = {
        s.code: (s.id, s.platform, str(s.platform))
        for s in _shops_by_code(session, {o["shop_code"] for o in orders}).values()
    }
    accepted: list[tuple[dict[str, Any], tuple[int, Platform, str]]] = []
    for index, order in enumerate(orders):
        shop = shops.get(order["shop_code"])
        if shop is None:
            rejections.add(index, "shop_code", f"店铺不存在: {order['shop_code']}")
        else:
            accepted.append((order, shop))
    keys = [(platform, o["order_no"]) for o, (_, _, platform) in accepted]
    existing = repository.ids_by_source(session, Order, keys)
    now = utcnow()
    customer_ids = _upsert_customers(session, accepted, now)
    order_ids = _upsert_orders(session, accepted, customer_ids, existing, now)
    _replace_items(session, accepted, order_ids, existing)
    created = len(set(keys) - set(existing))
    result = IngestResult(
        received=len(orders),
        created=created,
        updated_or_unchanged=len(accepted) - created,
        rejected=rejections.items,
    )
    stored = StoredOrders(result)
    if shipments:
        platforms = [shops[code][2] for code in _column(shipments, "shop_code")]
        columns = _shipment_columns(shipments)
        columns["order_id"] = list(
            map(order_ids.__getitem__, zip(platforms, columns.pop("order_no"), strict=True))
        )
        del columns["shop_code"]
        stored.shipments_created = _store_shipments(session, columns, orders_follow=True)
    # after the parcels: a handler of both events reads these orders' parcels, the new ones too
    publish(session, OrdersIngested(order_ids=tuple(sorted(set(order_ids.values())))))
    return stored


def _column(rows: Sequence[dict[str, Any]], name: str) -> list[Any]:
    return list(map(itemgetter(name), rows))


def _upsert_customers(
    session: Session, accepted: list[tuple[dict[str, Any], tuple[int, Platform, str]]], now: datetime
) -> dict[tuple[str, str], int]:
    """One row per buyer, with the contact data of the buyer's last order in the batch."""
    keys = [(platform, order["buyer_nick"]) for order, (_, _, platform) in accepted]
    last = dict(zip(keys, range(len(keys)), strict=True))
    chosen = [accepted[index] for index in last.values()]
    orders = [order for order, _ in chosen]
    columns = {
        "platform": [shop[1] for _, shop in chosen],
        "source_id": _column(orders, "buyer_nick"),
        "name": _column(orders, "receiver_name"),
        "phone": _column(orders, "receiver_phone"),
        "province": _column(orders, "province"),
        "city": _column(orders, "city"),
        "is_vip": [order.get("buyer_is_member", False) for order in orders],
        "created_at": [now] * len(orders),
    }
    changed = upsert_columns(
        session,
        Customer,
        columns,
        conflict_columns=("platform", "source_id"),
        update_columns=CUSTOMER_UPDATES,
        returning=("platform", "source_id", "id"),
    )
    return _with_unchanged_rows(session, Customer, list(last), _ids(changed))


def _upsert_orders(
    session: Session,
    accepted: list[tuple[dict[str, Any], tuple[int, Platform, str]]],
    customer_ids: dict[tuple[str, str], int],
    existing: dict[tuple[str, str], int],
    now: datetime,
) -> dict[tuple[str, str], int]:
    orders = [order for order, _ in accepted]
    columns = {name: _column(orders, name) for name in ORDER_FIELDS}
    platforms = [shop[2] for _, shop in accepted]
    keys = list(zip(platforms, _column(orders, "order_no"), strict=True))
    columns.update(
        shop_id=[shop[0] for _, shop in accepted],
        customer_id=list(
            map(customer_ids.__getitem__, zip(platforms, _column(orders, "buyer_nick"), strict=True))
        ),
        platform=[shop[1] for _, shop in accepted],
        source_id=_column(orders, "order_no"),
        updated_at=[now] * len(orders),
    )
    changed = upsert_columns(
        session,
        Order,
        columns,
        conflict_columns=("platform", "source_id"),
        update_columns=ORDER_UPDATES,
        returning=("platform", "source_id", "id"),
    )
    return _with_unchanged_rows(session, Order, keys, existing | _ids(changed))


def _with_unchanged_rows(
    session: Session, model: Any, keys: list[tuple[str, str]], ids: dict[tuple[str, str], int]
) -> dict[tuple[str, str], int]:
    """Add the ids of the rows the upsert left as they were, which it does not return.

    Looked up after the upsert, not before: a row another transaction committed in between is
    found too (the upsert waited for it). Before, two concurrent requests for the same buyer (or
    order) made one of them fail with a KeyError (HTTP 500).
    """
    missing = [key for key in keys if key not in ids]
    return ids | repository.ids_by_source(session, model, missing) if missing else ids


def _ids(rows: Sequence[Any]) -> dict[tuple[str, str], int]:
    """Ids of the rows an upsert inserted or changed."""
    return {(str(platform), source_id): row_id for platform, source_id, row_id in rows}


def _replace_items(
    session: Session,
    accepted: list[tuple[dict[str, Any], tuple[int, Platform, str]]],
    order_ids: dict[tuple[str, str], int],
    existing: dict[tuple[str, str], int],
) -> None:
    """Item lines are keyed by position; lines an update no longer lists are removed (an order
    that did not exist before this batch has no such lines)."""
    orders = [(order, shop) for order, shop in accepted if order["items"]]
    sizes = [len(order["items"]) for order, _ in orders]
    lines = [
        i if i.__class__ is dict else dict(i) for i in chain.from_iterable(o["items"] for o, _ in orders)
    ]
    keys = [(platform, order["order_no"]) for order, (_, _, platform) in orders]
    ids = list(map(order_ids.__getitem__, keys))
    counts = {order_id: n for key, order_id, n in zip(keys, ids, sizes, strict=True) if key in existing}
    shop_ids = list(chain.from_iterable(map(repeat, [shop[0] for _, shop in orders], sizes)))
    codes = _column(lines, "sku_code")
    sku_ids = _sku_ids(session, {pair for pair in zip(shop_ids, codes, strict=True) if pair[1]})
    columns: dict[str, list[Any]] = {
        "order_id": list(chain.from_iterable(map(repeat, ids, sizes))),
        "line_no": list(chain.from_iterable(map(range, sizes))),
        "sku_id": [sku_ids.get(pair) if pair[1] else None for pair in zip(shop_ids, codes, strict=True)],
        "is_gift": [False] * len(lines),
    }
    columns.update({name: _column(lines, name) for name in lines[0]} if lines else {})
    upsert_columns(
        session, OrderItem, columns, conflict_columns=("order_id", "line_no"), update_columns=ITEM_UPDATES
    )
    for count in set(counts.values()):
        shortened = [order_id for order_id, n in counts.items() if n == count]
        for chunk in repository.chunks(shortened):
            session.execute(
                delete(OrderItem).where(OrderItem.order_id.in_(chunk), OrderItem.line_no >= count)
            )


def _shipment_columns(rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """Parcels (all with the same keys) a column at a time, ``SHIPMENT_DEFAULTS`` where they have
    no value."""
    columns = {name: [default] * len(rows) for name, default in SHIPMENT_DEFAULTS.items()}
    columns.update({name: _column(rows, name) for name in rows[0]})
    return columns


def _upsert_shipments(session: Session, columns: dict[str, list[Any]]) -> None:
    """Parcels an export reports delivered get their delivery time and status; the others keep
    whatever tracking has recorded (an export without the time never clears it: their
    ``delivered_at`` of ``None`` is inserted but never updated)."""
    delivered = [index for index, at in enumerate(columns["delivered_at"]) if at is not None]
    parts: list[tuple[dict[str, list[Any]], Sequence[str]]]
    if not delivered:
        parts = [(columns, SHIPMENT_UPDATES)]
    else:
        underway = [index for index, at in enumerate(columns["delivered_at"]) if at is None]
        done = _rows_of(columns, delivered)
        done["status"] = [TrackingStatus.DELIVERED] * len(delivered)
        parts = [
            (done, (*SHIPMENT_UPDATES, "delivered_at", "status")),
            (_rows_of(columns, underway), SHIPMENT_UPDATES),
        ]
    for part, updates in parts:
        upsert_columns(
            session, Shipment, part, conflict_columns=("courier", "tracking_no"), update_columns=updates
        )


def _rows_of(columns: dict[str, list[Any]], indexes: list[int]) -> dict[str, list[Any]]:
    return {name: [values[index] for index in indexes] for name, values in columns.items()}


def ingest_shipments(session: Session, shipments: Sequence[ShipmentIn]) -> IngestResult:
    rejections = Rejections()
    shops = _shops_by_code(session, {s.shop_code for s in shipments})
    keys = [(str(shops[s.shop_code].platform), s.order_no) for s in shipments if s.shop_code in shops]
    order_ids = repository.ids_by_source(session, Order, keys)
    rows = []
    for index, shipment in enumerate(shipments):
        shop = shops.get(shipment.shop_code)
        order_id = order_ids.get((str(shop.platform), shipment.order_no)) if shop else None
        if order_id is None:
            rejections.add(index, "order_no", f"订单不存在: {shipment.shop_code}/{shipment.order_no}")
            continue
        fields = shipment.model_dump(exclude={"shop_code", "order_no"})
        rows.append({**fields, "order_id": order_id})
    created = _store_shipments(session, _shipment_columns(rows)) if rows else 0
    return IngestResult(
        received=len(shipments),
        created=created,
        updated_or_unchanged=len(rows) - created,
        rejected=rejections.items,
    )


def _store_shipments(session: Session, columns: dict[str, list[Any]], *, orders_follow: bool = False) -> int:
    """Upsert parcels (with their ``order_id``), given a column at a time; the number of new ones.
    ``orders_follow``: the caller publishes ``OrdersIngested`` for these parcels' orders next."""
    keys = list(zip(columns["courier"], columns["tracking_no"], strict=True))
    existing = repository.shipment_ids(session, keys)
    _upsert_shipments(session, columns)
    order_ids = tuple(sorted(set(columns["order_id"])))
    publish(session, ShipmentsIngested(order_ids=order_ids, orders_follow=orders_follow))
    return len(set(keys) - set(existing))


def ingest_tracking_events(session: Session, events: Sequence[TrackingEventIn]) -> IngestResult:
    """Store new events (repeats are ignored) and refresh the affected parcels' state."""
    rejections = Rejections()
    parcels = repository.shipment_ids(session, list({(e.courier, e.tracking_no) for e in events}))
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    for index, event in enumerate(events):
        shipment_id = parcels.get((event.courier, event.tracking_no))
        if shipment_id is None:
            rejections.add(index, "tracking_no", f"运单不存在: {event.courier} {event.tracking_no}")
            continue
        source_id = event.event_id or event_source_id(event.occurred_at, event.raw_text)
        rows[(shipment_id, source_id)] = {
            "shipment_id": shipment_id,
            "source_id": source_id,
            "occurred_at": event.occurred_at,
            "status": event.status or classify(event.raw_text),
            "location": event.location,
            "raw_text": event.raw_text,
        }
    # The rows the insert returns are the new ones (a repeat is left alone and not returned).
    created = len(
        upsert(
            session,
            TrackingEvent,
            list(rows.values()),
            conflict_columns=("shipment_id", "source_id"),
            update_columns=(),
            returning=("shipment_id",),
        )
    )
    touched = sorted({shipment_id for shipment_id, _ in rows})
    repository.refresh_shipment_state(session, touched)
    publish(session, TrackingUpdated(shipment_ids=tuple(touched)))
    return IngestResult(
        received=len(events),
        created=created,
        updated_or_unchanged=len(rows) - created,
        rejected=rejections.items,
    )


def get_order(session: Session, order_id: int) -> Order:
    order = repository.order_with_items(session, order_id)
    if order is None:
        raise OrderNotFoundError(order_id)
    return order


def lock_order(session: Session, order_id: int) -> Order:
    """The per-order lock every decision that moves money takes first (see the repository)."""
    order = repository.lock_order(session, order_id)
    if order is None:
        raise OrderNotFoundError(order_id)
    return order


def _fingerprint(values: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def keyed_result(
    session: Session, *, order_id: int, kind: str, key: str | None, values: dict[str, Any]
) -> int | None:
    """The result id of an earlier request with this ``Idempotency-Key``; ``None`` for a new key.

    Call it under ``lock_order``: parallel copies of one request then find the first one's key.
    """
    if not key:
        return None
    earlier = repository.request_key(session, order_id=order_id, kind=kind, key=key)
    if earlier is None:
        return None
    if earlier.fingerprint != _fingerprint(values):
        raise InvalidInputError("Idempotency-Key", "该幂等键已用于内容不同的请求,请换一个新的键")
    return earlier.result_id


def remember_key(
    session: Session, *, order_id: int, kind: str, key: str | None, values: dict[str, Any], result_id: int
) -> None:
    if key:
        session.add(
            OrderRequestKey(
                order_id=order_id, kind=kind, key=key, fingerprint=_fingerprint(values), result_id=result_id
            )
        )
        session.flush()


def reveal_pii(
    session: Session, *, actor: User, order_id: int, reason: str, client_ip: str | None = None
) -> OrderPii:
    """Full contact data of one order for a supervisor or admin, with its audit entry."""
    if not actor.role.at_least(Role.SUPERVISOR):
        raise PermissionDeniedError("查看完整手机号和地址需要主管及以上权限")
    row = session.execute(
        select(Order, Customer.phone)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Order.id == order_id)
    ).first()
    if row is None:
        raise OrderNotFoundError(order_id)
    order, customer_phone = row
    entry = audit.record(
        session,
        actor_id=actor.id,
        action=AuditAction.REVEAL_PII,
        subject_type="order",
        subject_id=order.id,
        fields=audit.REVEALED_ORDER_FIELDS,
        reason=reason,
        client_ip=client_ip,
    )
    return OrderPii(
        order_id=order.id,
        receiver_name=order.receiver_name,
        receiver_phone=order.receiver_phone,
        province=order.province,
        city=order.city,
        district=order.district,
        address=order.address,
        customer_phone=customer_phone,
        audit_entry_id=entry.id,
    )
