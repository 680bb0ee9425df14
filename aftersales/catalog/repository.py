"""Every query of the catalog: shops, their channels and SKUs."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Channel, Shop, Sku


def shops(session: Session) -> list[Shop]:
    return list(session.scalars(select(Shop).order_by(Shop.id)))


def shops_by_id(session: Session) -> dict[int, Shop]:
    return {shop.id: shop for shop in shops(session)}


def shop_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Shop.id, Shop.name)).all())


def channels(session: Session, shop_id: int) -> list[Channel]:
    return list(session.scalars(select(Channel).where(Channel.shop_id == shop_id).order_by(Channel.id)))


def skus(session: Session, shop_id: int | None = None) -> list[Sku]:
    """One shop's SKUs by code, or every shop's, shop by shop."""
    query = select(Sku).order_by(Sku.shop_id, Sku.code)
    if shop_id is not None:
        query = query.where(Sku.shop_id == shop_id)
    return list(session.scalars(query))


def active_skus(session: Session, shop_ids: Iterable[int]) -> list[Sku]:
    """The SKUs on sale in these shops, by shop and code."""
    query = select(Sku).where(Sku.shop_id.in_(sorted(set(shop_ids))), Sku.is_active.is_(True))
    return list(session.scalars(query.order_by(Sku.shop_id, Sku.code)))


def skus_by_id(session: Session, ids: Iterable[int]) -> dict[int, Sku]:
    return {sku.id: sku for sku in session.scalars(select(Sku).where(Sku.id.in_(set(ids))))}
