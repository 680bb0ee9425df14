from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.orders.models import (
    Customer,
    Order,
    OrderItem,
    OrderStatus,
    Shipment,
    TrackingEvent,
    TrackingStatus,
)
from aftersales.orders.schemas import OrderIn, OrderItemIn, ShipmentIn, TrackingEventIn
from aftersales.orders.service import ingest_orders, ingest_shipments, ingest_tracking_events
from tests.builders import make_shop, make_sku


def order_in(shop_code: str, **overrides: object) -> OrderIn:
    fields: dict[str, object] = {
        "shop_code": shop_code,
        "order_no": "3748201956372810",
        "buyer_nick": "小鹿乱撞2021",
        "status": OrderStatus.SHIPPED,
        "total_fen": 29900,
        "paid_fen": 29900,
        "receiver_phone": "13800001234",
        "ordered_at": datetime(2026, 11, 10, 23, 58),
        "items": [OrderItemIn(sku_code="HT-4PC", title="四件套", quantity=1, unit_price_fen=29900)],
        **overrides,
    }
    return OrderIn.model_validate(fields)


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


class TestIngestOrders:
    def test_new_order_creates_customer_order_and_items(self, session: Session) -> None:
        shop = make_shop(session)
        result = ingest_orders(session, [order_in(shop.code)])
        assert (
            result.created,
            count(session, Order),
            count(session, Customer),
            count(session, OrderItem),
        ) == (1, 1, 1, 1)

    def test_repeat_delivery_updates_in_place_never_duplicates(self, session: Session) -> None:
        shop = make_shop(session)
        ingest_orders(session, [order_in(shop.code)])
        result = ingest_orders(session, [order_in(shop.code, status=OrderStatus.COMPLETED)])
        assert (result.created, result.updated_or_unchanged, count(session, Order)) == (0, 1, 1)
        assert session.scalar(select(Order.status)) == OrderStatus.COMPLETED

    def test_naive_platform_time_is_stored_as_utc(self, session: Session) -> None:
        shop = make_shop(session)
        ingest_orders(session, [order_in(shop.code)])
        stored = session.scalar(select(Order.ordered_at))
        assert stored is not None
        assert stored.isoformat() == "2026-11-10T15:58:00+00:00"

    def test_item_lines_link_to_the_shops_sku_by_code(self, session: Session) -> None:
        shop = make_shop(session)
        sku = make_sku(session, shop=shop, code="HT-4PC")
        ingest_orders(session, [order_in(shop.code)])
        assert session.scalar(select(OrderItem.sku_id)) == sku.id

    def test_lines_dropped_from_an_update_are_removed(self, session: Session) -> None:
        shop = make_shop(session)
        two = [OrderItemIn(title="A", unit_price_fen=100), OrderItemIn(title="B", unit_price_fen=200)]
        ingest_orders(session, [order_in(shop.code, items=two)])
        ingest_orders(session, [order_in(shop.code, items=two[:1])])
        assert list(session.scalars(select(OrderItem.title))) == ["A"]

    def test_unknown_shop_is_rejected_and_other_orders_are_kept(self, session: Session) -> None:
        shop = make_shop(session)
        result = ingest_orders(session, [order_in("nope"), order_in(shop.code, order_no="2")])
        assert result.rejected == [{"index": 0, "field": "shop_code", "reason": "店铺不存在: nope"}]
        assert count(session, Order) == 1


class TestIngestParcels:
    def _shipped(self, session: Session) -> str:
        shop = make_shop(session)
        ingest_orders(session, [order_in(shop.code)])
        ingest_shipments(
            session,
            [
                ShipmentIn(
                    shop_code=shop.code,
                    order_no="3748201956372810",
                    courier="中通快递",
                    tracking_no="73512345678901",
                    shipped_at=datetime(2026, 11, 11, 10, 0),
                )
            ],
        )
        return shop.code

    def test_courier_display_name_is_mapped_to_its_code(self, session: Session) -> None:
        self._shipped(session)
        assert session.scalar(select(Shipment.courier)) == "zto"

    def test_events_set_the_parcels_latest_status_and_delivery_time(self, session: Session) -> None:
        self._shipped(session)
        start = datetime(2026, 11, 11, 12, 0)
        lines = [
            "【杭州市】快件已揽收",
            "快件已到达【乌鲁木齐市转运中心】",
            "【乌鲁木齐市天山区】已签收,签收人:本人",
        ]
        events = [
            TrackingEventIn(
                courier="zto", tracking_no="73512345678901", occurred_at=start + timedelta(days=i), raw_text=t
            )
            for i, t in enumerate(lines)
        ]
        ingest_tracking_events(session, list(reversed(events)))
        parcel = session.scalar(select(Shipment))
        assert parcel is not None
        assert parcel.status == TrackingStatus.DELIVERED
        assert parcel.first_scan_at is not None
        assert parcel.first_scan_at.hour == 4
        assert parcel.delivered_at == parcel.last_event_at

    def test_the_same_event_twice_is_stored_once(self, session: Session) -> None:
        self._shipped(session)
        event = TrackingEventIn(
            courier="zto", tracking_no="73512345678901", occurred_at=datetime(2026, 11, 12), raw_text="已揽收"
        )
        ingest_tracking_events(session, [event])
        result = ingest_tracking_events(session, [event])
        assert (result.created, count(session, TrackingEvent)) == (0, 1)

    def test_event_for_an_unknown_parcel_is_rejected(self, session: Session) -> None:
        event = TrackingEventIn(
            courier="sf", tracking_no="SF0000", occurred_at=datetime(2026, 11, 12), raw_text="已揽收"
        )
        assert ingest_tracking_events(session, [event]).rejected[0]["field"] == "tracking_no"
