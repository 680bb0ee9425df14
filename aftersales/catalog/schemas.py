from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from aftersales.catalog.models import Platform
from aftersales.kit.types import Fen, ShortText


class ShopCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=128)
    platform: Platform


class ShopRead(ShopCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int


class ChannelCreate(BaseModel):
    kind: str = Field(pattern=r"^(platform_im|phone|sms|wechat|email)$")
    name: str = Field(min_length=1, max_length=128)
    config: dict[str, Any] = Field(default_factory=dict)


class ChannelRead(ChannelCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int
    shop_id: int


class SkuCreate(BaseModel):
    code: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=255)
    category: str | None = Field(default=None, max_length=64)
    price_fen: Fen
    specs: dict[str, Any] = Field(default_factory=dict)
    selling_points: list[ShortText] = Field(default_factory=list, max_length=50)
    no_reason_return_days: int = Field(default=7, ge=0, le=30)
    is_discontinued: bool = False


class SkuUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=255)
    category: str | None = Field(default=None, max_length=64)
    price_fen: Fen | None = None
    specs: dict[str, Any] | None = None
    selling_points: list[ShortText] | None = Field(default=None, max_length=50)
    no_reason_return_days: int | None = Field(default=None, ge=0, le=30)
    is_active: bool | None = None
    is_discontinued: bool | None = None


class SkuRead(SkuCreate):
    model_config = ConfigDict(from_attributes=True)
    id: int
    shop_id: int
    is_active: bool
