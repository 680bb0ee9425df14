"""Issue 10: the answer bot's intent accuracy on the held-out split, and its answer latency.

"Without I/O" times ``bot.judge`` (classification, FAQ similarity, risk and anger checks, the
threshold), the part that runs for every customer message; questions cycle through the held-out
phrasings, each time with a varying suffix so nothing is served from a cache. "With the database"
times ``bot.ask`` on SQLite for an order with a split shipment: live-data answer, the exchange row
and the conversation messages.
"""

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform, Shop
from aftersales.db import make_engine
from aftersales.orders.models import Customer, Order, OrderStatus, Shipment
from aftersales.selfservice import bot, intents
from benchmarks.figures import Figure, percentile, scratch_sqlite

SUFFIXES = ("", "呢", "?", "啊", "呀,急", "谢谢", "麻烦看下")


def _questions(count: int) -> list[str]:
    _, held_out = intents.split(intents.labelled(intents.load_dataset()))
    return [held_out[i % len(held_out)][0] + SUFFIXES[i % len(SUFFIXES)] for i in range(count)]


def _seed(session: Session) -> int:
    now = datetime.now(UTC)
    shop = Shop(code="bench", name="基准店铺", platform=Platform.TMALL)
    session.add(shop)
    session.flush()
    customer = Customer(platform=Platform.TMALL, source_id="bench-buyer", phone="13800000000")
    session.add(customer)
    session.flush()
    order = Order(
        shop_id=shop.id,
        customer_id=customer.id,
        platform=Platform.TMALL,
        source_id="B0001",
        status=OrderStatus.SHIPPED,
        total_fen=19900,
        paid_fen=19900,
        ordered_at=now - timedelta(days=2),
        receiver_phone="13800000000",
    )
    session.add(order)
    session.flush()
    for n in range(2):
        session.add(Shipment(order_id=order.id, courier="zto", tracking_no=f"ZT{n:010d}", shipped_at=now))
    session.commit()
    return order.id


def run(full: bool) -> list[Figure]:
    evaluation = intents.evaluate()
    intents.get_model()
    count = 5000 if full else 300
    latencies = []
    for text in _questions(count):
        started = time.perf_counter()
        bot.judge(text)
        latencies.append((time.perf_counter() - started) * 1000)
    figures = [
        Figure(
            "bot intent accuracy (held-out split)",
            evaluation.accuracy * 100,
            "%",
            note=f"{evaluation.test_size} held out, {evaluation.train_size} trained",
        ),
        Figure(
            "bot answer latency p95, no I/O", percentile(latencies, 95), "ms", "< 50 ms", f"{count} questions"
        ),
    ]
    asked = 1000 if full else 100
    with scratch_sqlite() as url:
        engine = make_engine(url)
        with Session(engine) as session:
            order_id = _seed(session)
            with_db = []
            for index, text in enumerate(_questions(asked)):
                started = time.perf_counter()
                bot.ask(session, text=text, session_key=f"bench-{index % 20}", order_id=order_id)
                session.commit()
                with_db.append((time.perf_counter() - started) * 1000)
        engine.dispose()
    figures.append(
        Figure(
            "bot answer latency p95, SQLite",
            percentile(with_db, 95),
            "ms",
            note=f"{asked} questions, commit each",
        )
    )
    return figures
