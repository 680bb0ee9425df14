"""Events the orders domain publishes when ingestion stores rows (logistics and connectors react)."""

from dataclasses import dataclass

from aftersales.kit.events import DomainEvent


@dataclass(frozen=True)
class OrdersIngested(DomainEvent):
    """Orders were inserted or updated (a promised date or address may have changed)."""

    order_ids: tuple[int, ...]


@dataclass(frozen=True)
class ShipmentsIngested(DomainEvent):
    """Parcels of these orders were stored."""

    order_ids: tuple[int, ...]
    orders_follow: bool = False
    """An order import's batch: ``OrdersIngested`` for these very orders (and more) comes next in
    the same transaction, so a reaction both events share is done once, on that one."""


@dataclass(frozen=True)
class TrackingUpdated(DomainEvent):
    """These parcels got new tracking events (their state columns were refreshed)."""

    shipment_ids: tuple[int, ...]
