"""Issue 15: parallel money requests against a running server, on SQLite and on PostgreSQL.

``aftersales serve`` (in-process jobs included) on a fresh database; for each of N orders, 20
compensations of ¥50 (the agent limit allows three) and 20 refunds of one refund-only request
arrive at once from two agents. Figures: over-payment beyond what the policy allows (fen, goal 0)
and requests that failed with a 5xx or no answer (goal 0), beside the number of requests sent and
the amount the policy allows (the baseline a correct server pays exactly).
"""

import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from benchmarks.figures import Figure, free_port, scratch_postgres, scratch_sqlite, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
PARALLEL = 20
PAID_FEN = 33_800  # agent limit 50 %: ¥169, so three ¥50 payouts
PAYOUT_FEN = 5_000
ALLOWED_FEN = 3 * PAYOUT_FEN


@contextmanager
def shop_server(url: str) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "AFTERSALES_DATABASE_URL": url, "AFTERSALES_SECRET_KEY": secrets.token_hex(32)}
    command = [sys.executable, "-m", "aftersales.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _seed(url: str, orders: int) -> tuple[list[str], list[tuple[int, int]]]:
    """Two agents' tokens and (order id, refund-only request id) pairs, committed."""
    from aftersales.auth.models import Role
    from aftersales.auth.service import create_user, issue_token
    from aftersales.catalog.models import Platform, Shop
    from aftersales.db import make_engine
    from aftersales.kit.time import utcnow
    from aftersales.orders.models import Customer, Order, OrderStatus
    from aftersales.returns.models import RequestKind
    from aftersales.returns.schemas import ReturnRequestIn
    from aftersales.returns.service import create_request

    engine = make_engine(url)
    with Session(engine) as session:
        shop = Shop(code="money", name="并发资金", platform=Platform.TMALL)
        customer = Customer(platform=Platform.TMALL, source_id="buyer", name="买家", phone="13800000000")
        session.add_all([shop, customer])
        session.flush()
        tokens = []
        for n in range(2):
            user = create_user(
                session,
                username=f"agent{n}",
                display_name=f"客服{n}",
                password="money-pass-1",
                role=Role.AGENT,
            )
            tokens.append(issue_token(session, user=user))
        pairs = []
        for n in range(orders):
            order = Order(
                shop_id=shop.id,
                customer_id=customer.id,
                platform=Platform.TMALL,
                source_id=f"M{n:08d}",
                status=OrderStatus.SHIPPED,
                total_fen=PAID_FEN,
                paid_fen=PAID_FEN,
                ordered_at=utcnow(),
            )
            session.add(order)
            session.flush()
            data = ReturnRequestIn(
                shop_code="money",
                order_no=order.source_id,
                kind=RequestKind.REFUND_ONLY,
                reason_code="not_fit",
            )
            pairs.append((order.id, create_request(session, data=data).id))
        session.commit()
    engine.dispose()
    return tokens, pairs


def _storm(base: str, tokens: list[str], pairs: list[tuple[int, int]]) -> tuple[int, int]:
    """Every order's 20 + 20 requests at once; returns (requests sent, failures)."""
    calls: list[tuple[str, str, dict[str, Any] | None]] = []
    for order_id, request_id in pairs:
        body = {"order_id": order_id, "amount_fen": PAYOUT_FEN, "reason_code": "other"}
        calls += [("/api/returns/compensations", tokens[n % 2], body) for n in range(PARALLEL)]
        calls += [
            (f"/api/returns/requests/{request_id}/refund", tokens[n % 2], None) for n in range(PARALLEL)
        ]

    def send(call: tuple[str, str, dict[str, Any] | None]) -> bool:
        path, token, body = call
        try:
            with httpx.Client(timeout=120) as client:
                response = client.post(base + path, json=body, headers={"Authorization": f"Bearer {token}"})
            return response.status_code < 500
        except httpx.HTTPError:
            return False

    with ThreadPoolExecutor(max_workers=2 * PARALLEL) as pool:
        answered = list(pool.map(send, calls))
    return len(calls), answered.count(False)


def _overpaid(url: str, pairs: list[tuple[int, int]]) -> int:
    """Fen paid beyond the policy: compensation past ¥150 and refunds past the paid amount, per order."""
    from aftersales.db import make_engine
    from aftersales.returns.models import Compensation, PayoutKind

    engine = make_engine(url)
    over = 0
    with Session(engine) as session:
        for order_id, _ in pairs:
            for kind, allowed in ((PayoutKind.COMPENSATION, ALLOWED_FEN), (PayoutKind.REFUND, PAID_FEN)):
                paid = session.scalar(
                    select(func.coalesce(func.sum(Compensation.amount_fen), 0)).where(
                        Compensation.order_id == order_id, Compensation.kind == kind
                    )
                )
                over += max(0, int(paid or 0) - allowed)
    engine.dispose()
    return over


def _measure(label: str, url: str, orders: int) -> list[Figure]:
    tokens, pairs = _seed(url, orders)
    with shop_server(url) as base:
        started = time.perf_counter()
        sent, failed = _storm(base, tokens, pairs)
        seconds = time.perf_counter() - started
    over = _overpaid(url, pairs)
    allowed = orders * (ALLOWED_FEN + PAID_FEN)
    return [
        Figure(f"{label}: over-payment", over / 100, "¥", "0", f"policy allows ¥{allowed / 100:,.0f} in all"),
        Figure(
            f"{label}: failed requests (5xx / no answer)",
            failed,
            "",
            "0",
            f"of {sent} sent in {seconds:.1f} s",
        ),
    ]


def run(*, full: bool) -> list[Figure]:
    orders = 20 if full else 5
    figures: list[Figure] = []
    with scratch_sqlite() as url:
        figures += _measure("SQLite", url, orders)
    with scratch_postgres() as url:
        if url is None:
            figures.append(Figure("PostgreSQL", float("nan"), "", "", "no server on 127.0.0.1:5432"))
        else:
            figures += _measure("PostgreSQL", url, orders)
    return figures
