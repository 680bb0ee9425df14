"""Every query of the orders domain."""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Select, bindparam, func, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session, selectinload

from aftersales.kit.upsert import Membership, execute_in
from aftersales.orders.models import (
    Customer,
    Order,
    OrderItem,
    OrderRequestKey,
    OrderStatus,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from aftersales.web.sorting import SortChoice

LOOKUP_CHUNK = 2000


def chunks(values: Sequence[Any], size: int = LOOKUP_CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _grouped(keys: Sequence[tuple[str, str]]) -> dict[str, list[str]]:
    """The second parts of the keys by their first (a bulk batch's keys share one or two)."""
    return {
        first: [second for head, second in keys if head == first]
        for first in dict.fromkeys(k[0] for k in keys)
    }


def ids_by_source(
    session: Session, model: Any, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """``(platform, source_id) -> id`` for rows that exist: one plain ``IN`` per platform and chunk."""
    found: dict[tuple[str, str], int] = {}
    build = _ID_LOOKUPS[model]
    for platform, source_ids in _grouped(keys).items():
        for chunk in chunks(source_ids, LOOKUP_CHUNK):
            rows = execute_in(session, build, chunk, platform=platform)
            found.update({(platform, source_id): row_id for source_id, row_id in rows})
    return found


def _ids_by_source(model: Any) -> Callable[[Membership], Select[str, int]]:
    """The lookup ``ids_by_source`` runs for ``model``, as ``execute_in`` builds it once (an order
    or parcel arriving alone spent as long building the select as running it)."""

    def build(member: Membership) -> Select[str, int]:
        return select(model.source_id, model.id).where(
            model.platform == bindparam("platform"), member(model.source_id)
        )

    return build


_ID_LOOKUPS = {model: _ids_by_source(model) for model in (Order, Customer)}


def shipment_ids(session: Session, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """``(courier, tracking_no) -> id`` for parcels that exist: one lookup per courier and chunk."""
    found: dict[tuple[str, str], int] = {}
    for courier, numbers in _grouped(keys).items():
        for chunk in chunks(numbers):
            rows = execute_in(session, _shipments_by_number, chunk, courier=courier)
            found.update({(courier, t): i for t, i in rows})
    return found


def _shipments_by_number(member: Membership) -> Select[str, int]:
    return select(Shipment.tracking_no, Shipment.id).where(
        Shipment.courier == bindparam("courier"), member(Shipment.tracking_no)
    )


# The orders an order list offers besides its default (newest first).
SORTS = {
    "ordered_asc": SortChoice("下单时间(早→晚)", (Order.ordered_at, Order.id)),
    "paid_desc": SortChoice("实付金额(高→低)", (Order.paid_fen.desc(), Order.id.desc())),
}


def order_search(
    *, query: str | None = None, shop_id: int | None = None, status: OrderStatus | None = None
) -> Select[Any]:
    """Search by order number, tracking number, phone or buyer account: what an agent pastes."""
    statement = select(Order).order_by(Order.ordered_at.desc(), Order.id.desc())
    if shop_id is not None:
        statement = statement.where(Order.shop_id == shop_id)
    if status is not None:
        statement = statement.where(Order.status == status)
    if query:
        text = query.strip()
        by_tracking = select(Shipment.order_id).where(Shipment.tracking_no == text)
        by_buyer = select(Customer.id).where(Customer.source_id == text)
        statement = statement.where(
            or_(
                Order.source_id == text,
                Order.receiver_phone == text,
                Order.id.in_(by_tracking),
                Order.customer_id.in_(by_buyer),
            )
        )
    return statement


def order_with_items(session: Session, order_id: int) -> Order | None:
    return session.scalar(select(Order).where(Order.id == order_id).options(selectinload(Order.items)))


def orders_by_id(session: Session, ids: Iterable[int]) -> dict[int, Order]:
    return {order.id: order for order in session.scalars(select(Order).where(Order.id.in_(set(ids))))}


def order_numbers(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """The platform's order number (``source_id``) by order id."""
    query = select(Order.id, Order.source_id).where(Order.id.in_(set(ids)))
    return dict(session.execute(query).all())


def orders_numbered(session: Session, number: str, *, limit: int = 5) -> list[Order]:
    """Orders whose platform number is exactly ``number`` (several shops may share one)."""
    return list(session.scalars(select(Order).where(Order.source_id == number).limit(limit)))


def order_lines(session: Session, order_id: int, line_nos: Iterable[int] | None = None) -> list[OrderItem]:
    """The order's items in line order; only the lines numbered ``line_nos`` when given."""
    query = select(OrderItem).where(OrderItem.order_id == order_id).order_by(OrderItem.line_no)
    if line_nos is not None:
        query = query.where(OrderItem.line_no.in_(list(line_nos)))
    return list(session.scalars(query))


def shipments_with_events(session: Session, order_id: int) -> list[Shipment]:
    statement = (
        select(Shipment)
        .where(Shipment.order_id == order_id)
        .options(selectinload(Shipment.events))
        .order_by(Shipment.id)
    )
    return list(session.scalars(statement))


def _refresh_shipment_state_statement() -> Any:
    """Built once: the statement's five subqueries cost more to build than to run for one parcel."""
    of_shipment = TrackingEvent.shipment_id == Shipment.id
    newest_first = (TrackingEvent.occurred_at.desc(), TrackingEvent.id.desc())

    def latest(column: Any) -> Any:
        return select(column).where(of_shipment).order_by(*newest_first).limit(1).scalar_subquery()

    return (
        update(Shipment)
        .where(Shipment.id.in_(bindparam("ids", expanding=True)))
        .values(
            status=latest(TrackingEvent.status),
            last_location=latest(TrackingEvent.location),
            last_event_at=select(func.max(TrackingEvent.occurred_at)).where(of_shipment).scalar_subquery(),
            first_scan_at=select(func.min(TrackingEvent.occurred_at)).where(of_shipment).scalar_subquery(),
            delivered_at=select(func.min(TrackingEvent.occurred_at))
            .where(of_shipment, TrackingEvent.status == TrackingStatus.DELIVERED)
            .scalar_subquery(),
        )
        .execution_options(synchronize_session=False)
    )


_REFRESH_SHIPMENT_STATE = _refresh_shipment_state_statement()


def refresh_shipment_state(session: Session, ids: Sequence[int]) -> None:
    """Recompute each parcel's latest status, first scan and delivery time in one statement per chunk."""
    for chunk in chunks(list(ids)):
        session.execute(_REFRESH_SHIPMENT_STATE, {"ids": list(chunk)})


ORDER_COLUMNS = [column.key for column in sa_inspect(Order).column_attrs]


def lock_order(session: Session, order_id: int) -> Order | None:
    """Take the order's row lock for the rest of the transaction and read its columns afresh.

    PostgreSQL: ``SELECT … FOR UPDATE``, so two decisions about one order's money run one after
    the other and the second reads what the first committed. SQLite needs no row lock: its write
    transactions begin ``IMMEDIATE`` and so already run one at a time (``aftersales.db``).
    Collections the caller loaded (items, parcels) stay loaded.
    """
    query = select(Order.id).where(Order.id == order_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    if session.scalar(query) is None:
        return None
    order = session.get(Order, order_id)
    assert order is not None
    session.expire(order, ORDER_COLUMNS)
    return order


def request_key(session: Session, *, order_id: int, kind: str, key: str) -> OrderRequestKey | None:
    return session.scalar(
        select(OrderRequestKey).where(
            OrderRequestKey.order_id == order_id, OrderRequestKey.kind == kind, OrderRequestKey.key == key
        )
    )
