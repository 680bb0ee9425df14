"""What converts (seed 001 §多种转化方式): a recommended SKU the buyer then bought, and an unpaid
order paid after its 跟单, each within a window a shop sets (``conversion_settings``).

The rules are SQL conditions built here once: the 跟单 page, the API and the 复盘 report
(analytics) all count with them, so a rate on the report and the rows on a page cannot disagree.

- 商品推荐转化: the same buyer ordered and paid, in the same shop, an order with a (non-gift) line
  of the recommended SKU, placed at or after the recommendation and less than
  ``recommendation_days`` days after it. Amount: those lines' quantity × unit price.
- 跟单挽回转化: the followed-up order was paid at or after the follow-up and less than
  ``follow_up_hours`` hours after it. Amount: the order's paid amount.
"""

from dataclasses import asdict, dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, ScalarSelect, Table, and_, func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.conversations.models import ConversionSettings
from aftersales.conversations.schemas import WindowsIn
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.sqltime import seconds_between
from aftersales.orders.models import Order, OrderItem

ORDERS = cast(Table, Order.__table__)
ITEMS = cast(Table, OrderItem.__table__)
SETTINGS = cast(Table, ConversionSettings.__table__)


@dataclass(frozen=True)
class Windows:
    recommendation_days: int = 3
    unpaid_after_minutes: int = 30
    follow_up_hours: int = 24


DEFAULTS = Windows()
LABELS = {
    "recommendation_days": "推荐转化窗口(天)",
    "unpaid_after_minutes": "未付款多久后进入跟单(分钟)",
    "follow_up_hours": "跟单转化窗口(小时)",
}


def recommendation_definition(days: int | None = None) -> str:
    window = f"{days} 天" if days else "店铺设置的天数(默认 3 天)"
    return (
        f"商品推荐转化率:客服在聊天中推荐的商品(消息里出现店铺商品的编码、链接或名称,或客服登记的推荐),"
        f"同一买家在推荐后 {window}内于同一店铺下单并付款了该商品的推荐数 ÷ 推荐数;"
        "推荐前已下的单、其他买家的单不计;转化金额:这些订单中该商品的金额(数量×单价,赠品除外)"
    )


def follow_up_definition(hours: int | None = None) -> str:
    window = f"{hours} 小时" if hours else "店铺设置的小时数(默认 24 小时)"
    return (
        f"跟单挽回转化率:对待付款订单的跟单(催付消息或人工跟单,每单一次)中,订单在跟单后 {window}内"
        "付款的跟单数 ÷ 跟单数;挽回金额:这些订单的实付金额"
    )


def windows_for(session: Session, shop_id: int) -> Windows:
    row = session.scalar(select(ConversionSettings).where(ConversionSettings.shop_id == shop_id))
    return DEFAULTS if row is None else Windows(**{name: getattr(row, name) for name in asdict(DEFAULTS)})


def windows_by_shop(session: Session) -> dict[int, Windows]:
    """The shops that set their own windows (every other shop uses ``DEFAULTS``)."""
    names = list(asdict(DEFAULTS))
    return {
        row.shop_id: Windows(**{name: getattr(row, name) for name in names})
        for row in session.scalars(select(ConversionSettings))
    }


def save_windows(session: Session, *, shop_id: int, values: WindowsIn) -> Windows:
    """A shop's own windows (``WindowsIn`` holds them within their bounds)."""
    if session.get(Shop, shop_id) is None:
        raise InvalidInputError("shop_id", f"店铺不存在: {shop_id}")
    windows = Windows(**values.model_dump())
    row = session.scalar(select(ConversionSettings).where(ConversionSettings.shop_id == shop_id))
    if row is None:
        session.add(ConversionSettings(shop_id=shop_id, **asdict(windows)))
    else:
        for name, value in asdict(windows).items():
            setattr(row, name, value)
    session.flush()
    return windows


def window(shop_id: ColumnElement[Any], name: str) -> ColumnElement[int]:
    """The shop's window ``name`` in SQL: its own setting, else the default."""
    own = select(SETTINGS.c[name]).where(SETTINGS.c.shop_id == shop_id).scalar_subquery()
    return func.coalesce(own, getattr(DEFAULTS, name))


def _bought(session: Session, recommendations: Table) -> ColumnElement[bool]:
    r = recommendations
    return and_(
        ORDERS.c.customer_id == r.c.customer_id,
        ORDERS.c.shop_id == r.c.shop_id,
        ORDERS.c.paid_at.is_not(None),
        ORDERS.c.ordered_at >= r.c.recommended_at,
        seconds_between(session, ORDERS.c.ordered_at, r.c.recommended_at)
        < window(r.c.shop_id, "recommendation_days") * 86400,
        ITEMS.c.order_id == ORDERS.c.id,
        ITEMS.c.sku_code == r.c.sku_code,
        ITEMS.c.is_gift.is_(False),
    )


def recommendation_amount(session: Session, recommendations: Table) -> ScalarSelect[Any]:
    """Per recommendation row: the fen of the recommended SKU's lines the buyer bought in the
    window (0 when none): a correlated subquery, so any query over recommendations can use it."""
    lines = ITEMS.c.quantity * ITEMS.c.unit_price_fen
    return (
        select(func.coalesce(func.sum(lines), 0))
        .select_from(ORDERS.join(ITEMS, ITEMS.c.order_id == ORDERS.c.id))
        .where(_bought(session, recommendations))
        .scalar_subquery()
    )


def recommendation_converted(session: Session, recommendations: Table) -> ColumnElement[bool]:
    return (
        select(ORDERS.c.id)
        .select_from(ORDERS.join(ITEMS, ITEMS.c.order_id == ORDERS.c.id))
        .where(_bought(session, recommendations))
        .exists()
    )


def follow_up_converted(session: Session, follow_ups: Table, orders: Table) -> ColumnElement[bool]:
    """The followed-up order (``orders`` joined on ``follow_ups.order_id``) was paid in the window."""
    return and_(
        orders.c.paid_at.is_not(None),
        orders.c.paid_at >= follow_ups.c.followed_at,
        seconds_between(session, orders.c.paid_at, follow_ups.c.followed_at)
        < window(follow_ups.c.shop_id, "follow_up_hours") * 3600,
    )
