import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aftersales.db import Base
from aftersales.kit.time import utcnow
from aftersales.kit.types import JSONType, UTCDateTime


class Platform(enum.StrEnum):
    TAOBAO = "taobao"
    TMALL = "tmall"
    JD = "jd"
    DOUYIN = "douyin"
    PDD = "pdd"
    OWN = "own"

    @property
    def label(self) -> str:
        return PLATFORM_LABELS[self]


PLATFORM_LABELS = {
    Platform.TAOBAO: "淘宝",
    Platform.TMALL: "天猫",
    Platform.JD: "京东",
    Platform.DOUYIN: "抖音",
    Platform.PDD: "拼多多",
    Platform.OWN: "自营商城",
}


def platform_enum() -> Enum:
    return Enum(Platform, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class Shop(Base):
    __tablename__ = "shops"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    platform: Mapped[Platform] = mapped_column(platform_enum())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Channel(Base):
    """Where a shop talks to customers: platform IM, phone, SMS, WeChat, email."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("shop_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    config: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class Sku(Base):
    __tablename__ = "skus"
    __table_args__ = (UniqueConstraint("shop_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    category: Mapped[str | None] = mapped_column(String(64))
    price_fen: Mapped[int] = mapped_column(Integer)
    specs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    selling_points: Mapped[list[str]] = mapped_column(JSONType, default=list)
    no_reason_return_days: Mapped[int] = mapped_column(Integer, default=7)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_discontinued: Mapped[bool] = mapped_column(Boolean, default=False)


class CatalogVersion(Base):
    """One row whose random token changes with every write to ``skus``, in the writer's
    transaction: database triggers (migration ``2303_catalog_version``) bump it, so an ORM flush,
    a bulk statement and a raw import alike tell every process that the SKUs it keeps in memory
    (``conversations.recommendations.shop_matchers``) are stale."""

    __tablename__ = "catalog_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), comment="random hex, new on every write to skus")
