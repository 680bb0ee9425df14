from fastapi import APIRouter

from aftersales.auth.deps import CurrentUser, RequireAdmin, RequireSupervisor, SessionDep
from aftersales.catalog import repository, service
from aftersales.catalog.models import Channel, Shop, Sku
from aftersales.catalog.schemas import (
    ChannelCreate,
    ChannelRead,
    ShopCreate,
    ShopRead,
    SkuCreate,
    SkuRead,
    SkuUpdate,
)

router = APIRouter(prefix="/api", tags=["catalog"])


@router.get("/shops", response_model=list[ShopRead])
def list_shops(session: SessionDep, _: CurrentUser) -> list[Shop]:
    return repository.shops(session)


@router.post("/shops", response_model=ShopRead, status_code=201)
def create_shop(session: SessionDep, _: RequireAdmin, body: ShopCreate) -> Shop:
    return service.create_shop(session, data=body)


@router.get("/shops/{shop_id}/channels", response_model=list[ChannelRead])
def list_channels(session: SessionDep, _: CurrentUser, shop_id: int) -> list[Channel]:
    return repository.channels(session, shop_id)


@router.post("/shops/{shop_id}/channels", response_model=ChannelRead, status_code=201)
def add_channel(session: SessionDep, _: RequireAdmin, shop_id: int, body: ChannelCreate) -> Channel:
    return service.add_channel(session, shop_id=shop_id, data=body)


@router.get("/shops/{shop_id}/skus", response_model=list[SkuRead])
def list_skus(session: SessionDep, _: CurrentUser, shop_id: int) -> list[Sku]:
    return repository.skus(session, shop_id)


@router.post("/shops/{shop_id}/skus", response_model=SkuRead, status_code=201)
def create_sku(session: SessionDep, _: RequireSupervisor, shop_id: int, body: SkuCreate) -> Sku:
    return service.create_sku(session, shop_id=shop_id, data=body)


@router.patch("/skus/{sku_id}", response_model=SkuRead)
def update_sku(session: SessionDep, _: RequireSupervisor, sku_id: int, body: SkuUpdate) -> Sku:
    return service.update_sku(session, sku_id=sku_id, data=body)
