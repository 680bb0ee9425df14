import itertools
from typing import Any

from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform, Shop, Sku

_seq = itertools.count(1)


def make_shop(session: Session, **overrides: Any) -> Shop:
    n = next(_seq)
    shop = Shop(**{"code": f"shop-{n}", "name": f"测试店铺{n}", "platform": Platform.TMALL, **overrides})
    session.add(shop)
    session.flush()
    return shop


def make_sku(session: Session, *, shop: Shop | None = None, **overrides: Any) -> Sku:
    n = next(_seq)
    shop = shop or make_shop(session)
    fields = {
        "code": f"SKU-{n}",
        "name": f"商品{n}",
        "price_fen": 19900,
        "specs": {},
        "selling_points": [],
        **overrides,
    }
    sku = Sku(shop_id=shop.id, **fields)
    session.add(sku)
    session.flush()
    return sku
