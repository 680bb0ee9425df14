"""Every query of the catalog: shops, their channels and SKUs."""

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import CatalogVersion, Channel, Shop, Sku


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


def active_sku_texts(session: Session, shop_ids: Iterable[int]) -> list[tuple[int, int, str, str]]:
    """(shop, id, code, name) of the SKUs on sale in these shops, by shop and code: plain values,
    not ORM objects, for what outlives the session that read them."""
    query = select(Sku.shop_id, Sku.id, Sku.code, Sku.name).where(
        Sku.shop_id.in_(sorted(set(shop_ids))), Sku.is_active.is_(True)
    )
    return [
        (row[0], row[1], row[2], row[3]) for row in session.execute(query.order_by(Sku.shop_id, Sku.code))
    ]


_VERSION = select(CatalogVersion.token).where(CatalogVersion.id == 1)


def catalog_version(session: Session) -> str | None:
    """The token every write to ``skus`` renews (``models.CatalogVersion``), as this transaction sees it."""
    return session.scalar(_VERSION)


def skus_by_id(session: Session, ids: Iterable[int]) -> dict[int, Sku]:
    return {sku.id: sku for sku in session.scalars(select(Sku).where(Sku.id.in_(set(ids))))}
