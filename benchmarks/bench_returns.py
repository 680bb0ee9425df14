"""Issue 5: compensation ledger totals and retention conversion report over N return requests.

A migrated SQLite database gets one shop, 12 agents, 30 SKUs, N/2 orders, N return requests
with realistic kinds/outcomes and a ledger of about 0.4·N payouts, inserted in bulk. Timed: the
ledger totals per agent × reason × kind plus the conversion report by agent, by SKU and by
reason (what the 补偿台账 page runs), median of three runs.
"""

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from aftersales.auth.models import Role, User
from aftersales.catalog.models import Platform, Shop, Sku
from aftersales.db import make_engine
from aftersales.orders.models import Customer, Order, OrderStatus
from aftersales.returns import repository
from aftersales.returns.models import Compensation, ReturnRequest
from aftersales.returns.reasons import REASONS
from benchmarks.figures import Figure, median_seconds, scratch_sqlite

START = datetime(2026, 11, 11, tzinfo=UTC)
CHUNK = 5000


def _bulk(session: Session, model: Any, rows: list[dict[str, Any]]) -> None:
    for i in range(0, len(rows), CHUNK):
        session.execute(insert(model), rows[i : i + CHUNK])


def _seed(session: Session, count: int) -> None:
    rng = random.Random(5)
    session.add(Shop(id=1, code="bench", name="bench", platform=Platform.TMALL))
    session.flush()
    _bulk(
        session,
        User,
        [
            {
                "id": i,
                "username": f"agent{i}",
                "display_name": f"客服{i}",
                "role": Role.AGENT,
                "password_hash": "x",
            }
            for i in range(1, 13)
        ],
    )
    _bulk(
        session,
        Sku,
        [
            {
                "id": i,
                "shop_id": 1,
                "code": f"SKU{i}",
                "name": f"商品{i}",
                "price_fen": 9900 + 1000 * i,
                "specs": {},
                "selling_points": [],
            }
            for i in range(1, 31)
        ],
    )
    orders = max(1, count // 2)
    _bulk(
        session,
        Customer,
        [{"id": i, "platform": "tmall", "source_id": f"b{i}"} for i in range(1, orders + 1)],
    )
    _bulk(
        session,
        Order,
        [
            {
                "id": i,
                "shop_id": 1,
                "customer_id": i,
                "platform": "tmall",
                "source_id": f"T{i}",
                "status": OrderStatus.COMPLETED,
                "total_fen": 19900,
                "paid_fen": 19900,
                "ordered_at": START,
            }
            for i in range(1, orders + 1)
        ],
    )
    _requests_and_ledger(session, rng, count, orders)


def _requests_and_ledger(session: Session, rng: random.Random, count: int, orders: int) -> None:
    codes = list(REASONS)
    requests, payouts = [], []
    for n in range(1, count + 1):
        code = rng.choice(codes)
        kind = rng.choices(["return", "exchange", "refund_only"], [6, 3, 1])[0]
        outcome = rng.choices(["refunded", "exchanged", "compensated", "guided", None], [5, 2, 2, 1, 1])[0]
        agent = rng.randint(1, 12)
        at = START + timedelta(minutes=n)
        requests.append(
            {
                "id": n,
                "platform": "tmall",
                "source_id": f"RF{n}",
                "channel": "api",
                "shop_id": 1,
                "order_id": rng.randint(1, orders),
                "customer_id": 1,
                "sku_id": rng.randint(1, 30),
                "quantity": 1,
                "kind": kind,
                "reason_code": code,
                "is_quality": REASONS[code].is_quality,
                "refund_fen": 19900,
                "shipping_payer": "customer",
                "no_reason_eligible": True,
                "status": "resolved",
                "outcome": outcome,
                "refund_state": "none",
                "agent_id": agent,
                "requested_at": at,
                "created_at": at,
            }
        )
        if outcome in ("refunded", "compensated") or rng.random() < 0.1:
            payouts.append(
                {
                    "shop_id": 1,
                    "order_id": requests[-1]["order_id"],
                    "request_id": n,
                    "kind": "refund" if outcome == "refunded" else "compensation",
                    "authority": "agent",
                    "amount_fen": 19900 if outcome == "refunded" else rng.randint(500, 9950),
                    "reason_code": code,
                    "agent_id": agent,
                    "paid_at": at,
                }
            )
    _bulk(session, ReturnRequest, requests)
    _bulk(session, Compensation, payouts)


def _report(session: Session) -> int:
    rows = len(repository.ledger_totals(session))
    for by in ("agent", "sku", "reason"):
        rows += len(repository.conversion_report(session, by=by))
    return rows


def run(full: bool) -> list[Figure]:
    count = 100_000 if full else 25_000
    with scratch_sqlite() as url:
        engine = make_engine(url)
        with Session(engine) as session:
            started = time.perf_counter()
            _seed(session, count)
            session.commit()
            seeded = time.perf_counter() - started
            seconds = median_seconds(lambda: _report(session))
        engine.dispose()
    return [
        Figure(f"ledger + retention conversion over {count:,} requests (SQLite)", seconds, "s", "< 2 s"),
        Figure("seeding those rows (bulk insert)", seeded, "s", note="setup, not part of the goal"),
    ]
