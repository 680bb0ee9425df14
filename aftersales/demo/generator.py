"""A promotion for three shops: pre-sale, peak day and the 14-day after-sales window.

Everything derives from ``DemoConfig`` (seed, size, peak day, as-of time), so the same config
gives the same data. Data is loaded through the real ingestion services. Later domains extend
it through ``aftersales.<domain>.demo.extend(session, ctx)``, each with its own random stream.
"""

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform, Shop, Sku
from aftersales.db import unit_of_work
from aftersales.demo import catalog_data as data
from aftersales.demo.buyers import receiver
from aftersales.demo.context import DemoConfig, DemoContext
from aftersales.demo.history import generate_history
from aftersales.demo.parcels import ParcelPlan, plan_parcel
from aftersales.demo.settle import settle_system_tickets
from aftersales.kit.time import SHANGHAI
from aftersales.orders.models import Order, OrderStatus
from aftersales.orders.schemas import OrderIn, OrderItemIn, ShipmentIn, TrackingEventIn
from aftersales.orders.service import ingest_orders, ingest_shipments, ingest_tracking_events
from aftersales.registry import import_domain_modules

BATCH = 1000
SHOP_WEIGHTS = (0.45, 0.35, 0.20)


def generate(config: DemoConfig) -> dict[str, Any]:
    with unit_of_work() as session:
        ctx = DemoContext(config, *_catalog(session))
        _orders_and_parcels(session, ctx)
        # after the promotion's order ids are taken: the other domains work on the promotion only
        ctx.summary.update(
            generate_history(
                session,
                seed=config.seed,
                orders=config.orders,
                peak=config.peak_day,
                as_of=config.as_of,
                shops=ctx.shops,
                skus=ctx.skus,
            )
        )
        for module in import_domain_modules("demo"):
            if hasattr(module, "extend"):
                module.extend(session, ctx)
        ctx.summary["system_tickets_worked"] = settle_system_tickets(session, ctx)
        return ctx.summary


def _catalog(session: Session) -> tuple[dict[str, Shop], dict[str, list[Sku]]]:
    shops, skus = {}, {}
    for code, name, platform, _origin in data.SHOPS:
        shop = session.scalar(select(Shop).where(Shop.code == code))
        if shop is None:
            shop = Shop(code=code, name=name, platform=Platform(platform))
            session.add(shop)
            session.flush()
        shops[code] = shop
        existing = {s.code: s for s in session.scalars(select(Sku).where(Sku.shop_id == shop.id))}
        for sku_code, sku_name, category, price, specs, points in data.SKUS[code]:
            if sku_code not in existing:
                existing[sku_code] = Sku(
                    shop_id=shop.id,
                    code=sku_code,
                    name=sku_name,
                    category=category,
                    price_fen=round(price * 100),
                    specs=specs,
                    selling_points=points,
                )
                session.add(existing[sku_code])
        session.flush()
        skus[code] = sorted(existing.values(), key=lambda sku: sku.code)  # same draw order on every run
    return shops, skus


class OrderFactory:
    """Draws one realistic order at a time from a single seeded stream."""

    def __init__(self, ctx: DemoContext) -> None:
        self.ctx = ctx
        self.rng = ctx.rng("orders")
        self.peak = datetime.combine(ctx.config.peak_day, time(0), tzinfo=SHANGHAI)

    def ordered_at(self) -> datetime:
        """Pre-sale (from 10-24, a wave on 10-31 20:00), the peak day, then a decaying tail."""
        rng, peak = self.rng, self.peak
        phase = rng.random()
        if phase < 0.25:
            if rng.random() < 0.3:
                start = peak - timedelta(days=11) + timedelta(hours=20)
                return start + timedelta(minutes=rng.expovariate(1 / 90))
            return peak - timedelta(days=18) + timedelta(seconds=rng.uniform(0, 17 * 86400))
        if phase < 0.70:
            hour = rng.choices(range(24), weights=_PEAK_HOURS)[0]
            return peak + timedelta(hours=hour, seconds=rng.uniform(0, 3600))
        return (
            peak
            + timedelta(days=1)
            + timedelta(days=min(13.9, rng.expovariate(1 / 4)), hours=rng.uniform(8, 23))
        )

    def buyer(self, number: int) -> tuple[int, random.Random]:
        """About one order per buyer: a few come back (``REPEAT_SHARE`` of the orders), and a buyer's
        name, phone and address are the same on every order (drawn from the buyer's own stream)."""
        index = self.rng.randrange(number) if number and self.rng.random() < REPEAT_SHARE else number
        return index, random.Random(f"{self.ctx.config.seed}:buyer:{index}")

    def items(self, shop_code: str) -> list[OrderItemIn]:
        lines = self.rng.choices((1, 2, 3), weights=(70, 22, 8))[0]
        chosen = self.rng.sample(self.ctx.skus[shop_code], k=min(lines, len(self.ctx.skus[shop_code])))
        return [
            OrderItemIn(
                sku_code=s.code,
                title=s.name,
                quantity=self.rng.choice((1, 1, 1, 2)),
                unit_price_fen=s.price_fen,
            )
            for s in chosen
        ]


REPEAT_SHARE = 0.06
_PEAK_HOURS = (30, 18, 8, 3, 2, 2, 3, 5, 7, 9, 10, 10, 9, 8, 8, 8, 8, 9, 10, 12, 18, 20, 16, 12)


def _orders_and_parcels(session: Session, ctx: DemoContext) -> None:
    factory = OrderFactory(ctx)
    counts = {"orders": 0, "parcels": 0, "events": 0, "split_orders": 0}
    orders: list[OrderIn] = []
    parcels: list[ParcelPlan] = []
    for number in range(ctx.config.orders):
        ordered_at = factory.ordered_at()
        if ordered_at.astimezone(UTC) > ctx.config.as_of:
            continue
        order, order_parcels = _draw_order(factory, ctx, number, ordered_at)
        orders.append(order)
        parcels += order_parcels
        counts["split_orders"] += len(order_parcels) > 1
        if len(orders) >= BATCH:
            _store(session, orders, parcels, counts)
            orders, parcels = [], []
    _store(session, orders, parcels, counts)
    ctx.order_ids = list(session.scalars(select(Order.id).order_by(Order.id)))
    ctx.summary.update(counts)


def _draw_order(
    factory: OrderFactory, ctx: DemoContext, number: int, ordered_at: datetime
) -> tuple[OrderIn, list[ParcelPlan]]:
    rng = factory.rng
    shop_code, _name, _platform, origin = rng.choices(data.SHOPS, weights=SHOP_WEIGHTS)[0]
    index, buyer = factory.buyer(number)
    nick, distance, receiver_fields = receiver(index, buyer)
    items = factory.items(shop_code)
    order_no = f"{ctx.config.peak_day:%y%m%d}{ctx.config.seed % 100:02d}{number:08d}"
    paid_at = _paid_at(rng, ordered_at, factory.peak)
    parcels = (
        []
        if paid_at is None
        else _plan_parcels(
            factory,
            order_no,
            shop_code,
            origin,
            items,
            paid_at,
            (receiver_fields["city"], receiver_fields["district"], distance),
        )
    )
    goods = sum(i.unit_price_fen * i.quantity for i in items)
    order = OrderIn(
        shop_code=shop_code,
        order_no=order_no,
        buyer_nick=nick,
        status=_status(rng, paid_at, parcels, ctx.config.as_of),
        total_fen=goods,
        paid_fen=goods - (rng.choice((0, 0, 1000, 2000, 5000)) if goods > 20000 else 0),
        **receiver_fields,
        ordered_at=ordered_at,
        paid_at=paid_at,
        invoice_title=rng.choice((None,) * 8 + ("个人", "某某科技有限公司")),
        items=items,
    )
    return order, parcels


def _paid_at(rng: random.Random, ordered_at: datetime, peak: datetime) -> datetime | None:
    if rng.random() < 0.03:
        return None
    if ordered_at < peak - timedelta(hours=4) and rng.random() < 0.6:
        return peak + timedelta(minutes=rng.expovariate(1 / 40))  # pre-sale balance paid at 00:00
    return ordered_at + timedelta(seconds=rng.uniform(20, 900))


def _plan_parcels(
    factory: OrderFactory,
    order_no: str,
    shop_code: str,
    origin: str,
    items: list[OrderItemIn],
    paid_at: datetime,
    destination: tuple[str, str, int],
) -> list[ParcelPlan]:
    """Warehouses fall behind around the peak: shipping takes up to 3.5x longer then."""
    rng, as_of = factory.rng, factory.ctx.config.as_of
    backlog = 1.0 + 2.5 * max(0.0, 1 - abs((paid_at - factory.peak).total_seconds()) / (4 * 86400))
    ship_at = paid_at + timedelta(hours=rng.uniform(6, 30) * backlog)
    split = len(items) > 1 and rng.random() < 0.35
    groups = [[item] for item in items] if split else [items]
    plans = []
    for index, group in enumerate(groups):
        lag = timedelta(hours=rng.uniform(20, 72)) if index else timedelta(0)
        plan = plan_parcel(
            rng,
            order_no=order_no,
            shop_code=shop_code,
            origin=origin,
            destination=destination,
            shipped_at=ship_at + lag,
            as_of=as_of,
            summary="、".join(f"{i.title}x{i.quantity}" for i in group),
        )
        if plan is not None:
            plans.append(plan)
    return plans


def _status(
    rng: random.Random, paid_at: datetime | None, parcels: list[ParcelPlan], as_of: datetime
) -> OrderStatus:
    if paid_at is None:
        return OrderStatus.CLOSED if rng.random() < 0.7 else OrderStatus.PENDING_PAYMENT
    if not parcels:
        return OrderStatus.CLOSED if rng.random() < 0.05 else OrderStatus.PAID
    delivered = [p.delivered_at for p in parcels]
    if all(d is not None for d in delivered) and max(d for d in delivered if d) + timedelta(days=7) < as_of:
        return OrderStatus.COMPLETED
    return OrderStatus.SHIPPED


def _store(
    session: Session, orders: list[OrderIn], parcels: list[ParcelPlan], counts: dict[str, int]
) -> None:
    if not orders:
        return
    ingest_orders(session, orders)
    shipments = [
        ShipmentIn(order_no=o.order_no, shop_code=o.shop_code, **p.shipment)
        for o, p in _pairs(orders, parcels)
    ]
    ingest_shipments(session, shipments)
    events = [TrackingEventIn(**e) for p in parcels for e in p.events]
    for start in range(0, len(events), 5000):
        ingest_tracking_events(session, events[start : start + 5000])
    counts["orders"] += len(orders)
    counts["parcels"] += len(parcels)
    counts["events"] += len(events)


def _pairs(orders: list[OrderIn], parcels: list[ParcelPlan]) -> list[tuple[OrderIn, ParcelPlan]]:
    by_no = {o.order_no: o for o in orders}
    return [(by_no[p.order_no], p) for p in parcels]
