"""The year before the demo promotion: ordinary days and the earlier promotions the forecast learns from.

From a year before the peak up to the demo's "now": an ordinary number of paid orders a day (the
shop's ordinary business goes on during the promotion too), and the promotions of the year before
(last year's 双12, 年货节, 618, the shop's own 店庆), each with the demo promotion's shape (pre-sale,
peak day, a decaying tail) at its own size. About one order in ten brings a chat a few days
after payment, as in the demo promotion (none after "now"). Orders are completed and carry no
parcels (nothing for the logistics scans to chase a year later); chats are answered by the bot
(nothing for the rating invitations to send).
"""

import random
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from aftersales.analytics.forecast.calendar import festivals
from aftersales.catalog.models import Shop, Sku
from aftersales.conversations.models import Sender
from aftersales.conversations.schemas import MessageIn
from aftersales.conversations.service import ingest_messages
from aftersales.demo.buyers import receiver
from aftersales.kit.time import SHANGHAI
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderIn, OrderItemIn
from aftersales.orders.service import ingest_orders

HISTORY_DAYS = 365
PRESALE_START = timedelta(days=19)  # the demo's pre-sale opens 18 days before its peak
ORDINARY_SHARE = 0.004  # ordinary paid orders a day, as a share of the demo promotion's orders
SIZES = {"双11": 0.8, "618": 0.5, "双12": 0.3, "年货节": 0.25, "店庆": 0.2}
OWN_PROMOTION_BEFORE = timedelta(days=70)  # the shop's anniversary sale, about ten weeks before 双11
CHAT_SHARE = 0.1
BALANCE_AT_PEAK = 0.6  # pre-sale orders whose balance is paid when the peak opens
QUESTIONS = ("我的快递到哪了", "什么时候发货", "怎么申请退货", "这个怎么安装", "可以开发票吗")
BATCH = 1000
HISTORY_BUYERS_FROM = 10**6  # the year's buyers are numbered apart from the promotion's
_PEAK_HOURS = (30, 18, 8, 3, 2, 2, 3, 5, 7, 9, 10, 10, 9, 8, 8, 8, 8, 9, 10, 12, 18, 20, 16, 12)
_DAY_HOURS = (2, 1, 1, 1, 1, 1, 2, 4, 6, 8, 9, 9, 8, 8, 8, 8, 8, 9, 10, 12, 14, 14, 10, 5)


def promotions_before(peak: date) -> list[tuple[date, str]]:
    """The year's promotions before the demo's pre-sale: the festivals and the shop's own 店庆."""
    start, end = peak - timedelta(days=HISTORY_DAYS), peak - PRESALE_START - timedelta(days=14)
    found = [(p.peak, p.name) for p in festivals(start + timedelta(days=14), end)]
    own = peak - OWN_PROMOTION_BEFORE
    return sorted([*found, (own, "店庆")]) if start < own < end else sorted(found)


def generate_history(
    session: Session,
    *,
    seed: int,
    orders: int,
    peak: date,
    as_of: datetime,
    shops: dict[str, Shop],
    skus: dict[str, list[Sku]],
) -> dict[str, int]:
    """Store the year's orders and chats; returns their counts for the demo summary."""
    rng = random.Random(f"{seed}:history")
    ordinary = _ordinary_times(rng, orders, peak, as_of)
    times = [(at, at + timedelta(minutes=rng.uniform(1, 20))) for at in ordinary]
    for day, name in promotions_before(peak):
        times += [_promotion_times(rng, day) for _ in range(int(orders * SIZES[name]))]
    times.sort()
    codes = sorted(skus)
    made = [_order(rng, seed, n, at, paid, codes, skus) for n, (at, paid) in enumerate(times) if paid < as_of]
    for start in range(0, len(made), BATCH):
        ingest_orders(session, made[start : start + BATCH])
    messages = _chats(rng, seed, made, shops, as_of)
    result = ingest_messages(session, messages) if messages else None
    return {"history_orders": len(made), "history_chats": result.sessions if result else 0}


def _ordinary_times(rng: random.Random, orders: int, peak: date, as_of: datetime) -> list[datetime]:
    first = peak - timedelta(days=HISTORY_DAYS)
    per_day = max(3.0, orders * ORDINARY_SHARE)
    found = []
    for offset in range((as_of.astimezone(SHANGHAI).date() - first).days + 1):
        day = first + timedelta(days=offset)
        for _ in range(_poisson(rng, per_day)):
            hour = rng.choices(range(24), weights=_DAY_HOURS)[0]
            found.append(_at(day, hour, rng))
    return found


def _promotion_times(rng: random.Random, peak: date) -> tuple[datetime, datetime]:
    """Ordered and paid, in the demo promotion's shape: a quarter pre-sale (most of it paid with
    the balance at the peak's first minutes, 定金 + 尾款), 45 % on the peak day, the rest a tail."""
    start = datetime.combine(peak, time(0), tzinfo=SHANGHAI)
    phase = rng.random()
    if phase < 0.25:
        ordered = _at(peak - timedelta(days=18), 0, rng) + timedelta(seconds=rng.uniform(0, 17 * 86400))
        if rng.random() < BALANCE_AT_PEAK:
            return ordered, start + timedelta(minutes=rng.expovariate(1 / 40))
    elif phase < 0.70:
        ordered = _at(peak, rng.choices(range(24), weights=_PEAK_HOURS)[0], rng)
    else:
        ordered = start + timedelta(days=1 + min(13.9, rng.expovariate(1 / 4)), hours=rng.uniform(8, 23))
    return ordered, ordered + timedelta(minutes=rng.uniform(1, 20))


def _at(day: date, hour: int, rng: random.Random) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=SHANGHAI) + timedelta(seconds=rng.uniform(0, 3600))


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw by counting exponential gaps (means here are small)."""
    count, total = 0, rng.expovariate(1.0)
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _order(
    rng: random.Random,
    seed: int,
    n: int,
    at: datetime,
    paid: datetime,
    codes: list[str],
    skus: dict[str, list[Sku]],
) -> OrderIn:
    shop_code = rng.choice(codes)
    sku = rng.choice(skus[shop_code])
    index = HISTORY_BUYERS_FROM + rng.randrange(10**6)
    nick, _distance, receiver_fields = receiver(index, random.Random(f"{seed}:history-buyer:{index}"))
    return OrderIn(
        shop_code=shop_code,
        order_no=f"H{seed % 100:02d}{n:09d}",
        buyer_nick=nick,
        **receiver_fields,
        status=OrderStatus.COMPLETED,
        total_fen=sku.price_fen,
        paid_fen=sku.price_fen,
        ordered_at=at,
        paid_at=paid,
        items=[OrderItemIn(sku_code=sku.code, title=sku.name, quantity=1, unit_price_fen=sku.price_fen)],
    )


def _chats(
    rng: random.Random, seed: int, made: list[OrderIn], shops: dict[str, Shop], as_of: datetime
) -> list[MessageIn]:
    """A customer question and the bot's answer, days after payment, for one order in ten (the
    demo promotion's rate)."""
    messages = []
    for n, order in enumerate(made):
        if rng.random() >= CHAT_SHARE or order.paid_at is None:
            continue
        shop = shops[order.shop_code]
        start = order.paid_at + timedelta(days=rng.uniform(0.5, 6), hours=rng.uniform(0, 3))
        if start >= as_of - timedelta(hours=1):
            continue
        key = f"history-{seed}-{n}"
        for offset, sender, text in (
            (0, Sender.CUSTOMER, rng.choice(QUESTIONS)),
            (5, Sender.BOT, "亲,已为您查询,请稍候"),
        ):
            messages.append(
                MessageIn(
                    shop_id=shop.id,
                    platform=shop.platform,
                    session_key=key,
                    sender=sender,
                    text=text,
                    sent_at=(start + timedelta(seconds=offset)).astimezone(UTC),
                    customer_account=order.buyer_nick,
                )
            )
    return messages
