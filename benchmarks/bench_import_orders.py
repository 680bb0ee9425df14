"""Issue 2: bulk import of generated orders into SQLite, against a raw ``executemany`` of the same rows.

Both sides write customers and orders (no items), in one transaction, into a migrated database
with the same indexes. Our side goes through ``ingest_orders`` (upsert by source id, customer
resolution); the baseline is sqlite3 ``executemany`` of plain INSERTs.
"""

import sqlite3
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform, Shop
from aftersales.db import make_engine
from aftersales.orders.models import OrderStatus
from aftersales.orders.schemas import OrderIn
from aftersales.orders.service import ingest_orders
from benchmarks.figures import Figure, scratch_sqlite

BATCH = 5000


def _orders(count: int) -> list[OrderIn]:
    start = datetime(2026, 11, 11, tzinfo=UTC)
    return [
        OrderIn.model_construct(
            shop_code="bench",
            order_no=f"B{n:010d}",
            buyer_nick=f"buyer{n % (count // 2 + 1)}",
            status=OrderStatus.PAID,
            total_fen=19900,
            paid_fen=19900,
            postage_fen=0,
            receiver_name="张三",
            receiver_phone=f"138{n:08d}",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            address="文三路 1号",
            buyer_message=None,
            seller_note=None,
            invoice_title=None,
            ordered_at=start + timedelta(seconds=n),
            paid_at=start + timedelta(seconds=n + 30),
            promised_delivery_at=None,
            items=[],
        )
        for n in range(count)
    ]


def _ours(url: str, orders: list[OrderIn]) -> float:
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(Shop(code="bench", name="bench", platform=Platform.TMALL))
        session.commit()
        started = time.perf_counter()
        for i in range(0, len(orders), BATCH):
            ingest_orders(session, orders[i : i + BATCH])
        session.commit()
        elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def _raw(url: str, orders: list[OrderIn]) -> float:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    conn.execute(
        "INSERT INTO shops (code, name, platform, created_at) VALUES ('bench','bench','tmall','2026-11-11')"
    )
    customers = {nick: i + 1 for i, nick in enumerate(dict.fromkeys(o.buyer_nick for o in orders))}
    started = time.perf_counter()
    conn.executemany(
        "INSERT INTO customers (id, platform, source_id, name, phone, province, city, is_vip, created_at) "
        "VALUES (?, 'tmall', ?, '张三', '13800000000', '浙江省', '杭州市', 0, '2026-11-11')",
        [(i, nick) for nick, i in customers.items()],
    )
    conn.executemany(
        "INSERT INTO orders (shop_id, customer_id, platform, source_id, status, total_fen, paid_fen, "
        "postage_fen, receiver_name, receiver_phone, province, city, district, address, ordered_at, "
        "paid_at, updated_at) VALUES (1, ?, 'tmall', ?, 'paid', 19900, 19900, 0, '张三', ?, '浙江省', "
        "'杭州市', '西湖区', '文三路 1号', ?, ?, ?)",
        [
            (
                customers[o.buyer_nick],
                o.order_no,
                o.receiver_phone,
                o.ordered_at.isoformat(" "),
                o.paid_at.isoformat(" ") if o.paid_at else None,
                o.ordered_at.isoformat(" "),
            )
            for o in orders
        ],
    )
    conn.commit()
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def run(full: bool) -> list[Figure]:
    count = 1_000_000 if full else 100_000
    orders = _orders(count)
    with scratch_sqlite() as url:
        ours = _ours(url, orders)
    with scratch_sqlite() as url:
        raw = _raw(url, orders)
    return [
        Figure(f"import {count:,} orders (SQLite)", count / ours, "orders/s", "≥ 20,000/s"),
        Figure("raw executemany of the same rows", count / raw, "orders/s"),
        Figure("ours / raw time", ours / raw, "x", "≤ 3x"),
    ]
