from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.errors import DuplicateShopError, DuplicateSkuError, ShopNotFoundError
from aftersales.catalog.models import Channel, Shop, Sku
from aftersales.catalog.schemas import ChannelCreate, ShopCreate, SkuCreate, SkuUpdate
from aftersales.kit.errors import NotFoundError


def create_shop(session: Session, *, data: ShopCreate) -> Shop:
    if session.scalar(select(Shop.id).where(Shop.code == data.code)) is not None:
        raise DuplicateShopError(data.code)
    shop = Shop(**data.model_dump())
    session.add(shop)
    session.flush()
    return shop


def get_shop(session: Session, shop_id: int) -> Shop:
    shop = session.get(Shop, shop_id)
    if shop is None:
        raise ShopNotFoundError(shop_id)
    return shop


def shop_by_code(session: Session, code: str) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.code == code))
    if shop is None:
        raise ShopNotFoundError(code)
    return shop


def add_channel(session: Session, *, shop_id: int, data: ChannelCreate) -> Channel:
    get_shop(session, shop_id)
    channel = Channel(shop_id=shop_id, **data.model_dump())
    session.add(channel)
    session.flush()
    return channel


def create_sku(session: Session, *, shop_id: int, data: SkuCreate) -> Sku:
    get_shop(session, shop_id)
    exists = select(Sku.id).where(Sku.shop_id == shop_id, Sku.code == data.code)
    if session.scalar(exists) is not None:
        raise DuplicateSkuError(data.code)
    sku = Sku(shop_id=shop_id, **data.model_dump())
    session.add(sku)
    session.flush()
    return sku


def update_sku(session: Session, *, sku_id: int, data: SkuUpdate) -> Sku:
    sku = session.get(Sku, sku_id)
    if sku is None:
        raise NotFoundError(f"SKU 不存在: {sku_id}")
    for field, value in data.model_dump(exclude_unset=True).items():
        setattr(sku, field, value)
    session.flush()
    return sku
