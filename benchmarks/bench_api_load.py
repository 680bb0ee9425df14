"""Issue 9: mixed API load on loopback, from this process against a uvicorn server subprocess.

Two phases over the same server: a paced phase at ``RATE`` requests/s (latency percentiles at a
realistic peak rate) and a saturation phase with no pacing (throughput). The mix is what a peak
looks like: new orders, parcels, many tracking events, chat messages, ticket comments (when the
tickets API is present) and order reads. Afterwards the database is counted: every acknowledged
order, parcel, tracking event, chat message and ticket comment must be stored ("lost" =
acknowledged but missing).

Runs on a throwaway PostgreSQL database when one is reachable at 127.0.0.1:5432 (the production
setting), else on SQLite.
"""

import itertools
import os
import random
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from benchmarks.figures import (
    Figure,
    free_port,
    percentile,
    process_tree_cpu,
    scratch_postgres,
    scratch_sqlite,
    wait_healthy,
)

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RATE = 200
THREADS = 8
SERVER_WORKERS = 2
COURIER = "zto"
COMMENT = "已联系快递催件"
KINDS = ("orders", "shipments", "events", "chats", "comments")
WARM_UP_SECONDS = 3.0
CPU_REQUESTS = 100


@contextmanager
def scratch_database() -> Iterator[str]:
    """A migrated throwaway database: PostgreSQL if reachable, else a SQLite file."""
    with scratch_postgres() as pg_url:
        if pg_url is not None:
            yield pg_url
            return
    with scratch_sqlite() as url:
        yield url


def _seed(url: str) -> tuple[str, str, int]:
    """A shop and an agent's token, committed before the server starts."""
    from aftersales.auth.models import Role
    from aftersales.auth.service import create_user, issue_token
    from aftersales.catalog.models import Platform, Shop
    from aftersales.db import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        shop = Shop(code="load", name="压测店铺", platform=Platform.TMALL)
        session.add(shop)
        user = create_user(
            session,
            username="load-agent",
            display_name="压测",
            password="load-pass-123",
            role=Role.SUPERVISOR,
        )
        token = issue_token(session, user=user)
        session.commit()
        shop_id = shop.id
    engine.dispose()
    return token, "load", shop_id


@contextmanager
def api_server(url: str) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "AFTERSALES_DATABASE_URL": url, "AFTERSALES_LOG_LEVEL": "WARNING"}
    env.setdefault("AFTERSALES_SECRET_KEY", secrets.token_urlsafe(32))  # a server refuses the public one
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "aftersales.api:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(SERVER_WORKERS),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, process)
        yield base, process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    by_kind: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    orders: int = 0
    shipments: int = 0
    events: int = 0
    chats: int = 0
    comments: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, response: httpx.Response | None) -> dict[str, Any] | None:
        ok = response is not None and response.status_code < 300
        with self.lock:
            self.latencies.append(seconds)
            self.by_kind.setdefault(kind, []).append(seconds)
            if not ok:
                key = f"{kind}:{response.status_code if response is not None else 'conn'}"
                self.errors[key] = self.errors.get(key, 0) + 1
        return response.json() if ok and response is not None else None


_serial = itertools.count(1)


class LoadClient:
    """One thread's share of the mix; it keeps its own orders and parcels to attach events to."""

    def __init__(
        self, base: str, token: str, shop: tuple[str, int], tally: Tally, run_id: str, ticket_id: int | None
    ):
        self.http = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        (self.shop, self.shop_id), self.tally, self.run_id, self.ticket_id = shop, tally, run_id, ticket_id
        self.orders: list[str] = []
        self.parcels: list[str] = []
        self.rng = random.Random(run_id)

    def step(self) -> None:
        roll = self.rng.random()
        if roll < 0.2 or not self.orders:
            self.new_order()
        elif roll < 0.35 or not self.parcels:
            self.new_parcel()
        elif roll < 0.7:
            self.new_event()
        elif roll < 0.8:
            self.chat_message()
        elif roll < 0.9 and self.ticket_id is not None:
            self.comment()
        else:
            self.read_orders()

    def post(self, kind: str, path: str, body: Any) -> dict[str, Any] | None:
        started = time.perf_counter()
        try:
            response: httpx.Response | None = self.http.post(path, json=body)
        except httpx.HTTPError:
            response = None
        return self.tally.record(kind, time.perf_counter() - started, response)

    def new_order(self) -> None:
        order_no = f"{self.run_id}-{next(_serial):08d}"
        now = datetime.now(UTC)
        body = {
            "shop_code": self.shop,
            "order_no": order_no,
            "buyer_nick": f"buyer{self.rng.randrange(5000)}",
            "status": "paid",
            "total_fen": 19900,
            "paid_fen": 19900,
            "receiver_phone": "13812345678",
            "province": "浙江省",
            "city": "杭州市",
            "address": "文三路 100号",
            "ordered_at": now.isoformat(),
            "items": [{"title": "保温杯", "quantity": 1, "unit_price_fen": 19900}],
        }
        result = self.post("order", "/api/orders", body)
        if result is not None:
            self.orders.append(order_no)
            with self.tally.lock:
                self.tally.orders += result["created"]

    def new_parcel(self) -> None:
        order_no = self.orders.pop()
        tracking_no = f"73{abs(hash(order_no)) % 10**12:012d}"
        body = {
            "shop_code": self.shop,
            "order_no": order_no,
            "courier": COURIER,
            "tracking_no": tracking_no,
            "shipped_at": datetime.now(UTC).isoformat(),
        }
        result = self.post("shipment", "/api/shipments", body)
        if result is not None:
            self.parcels.append(tracking_no)
            with self.tally.lock:
                self.tally.shipments += result["created"]

    def new_event(self) -> None:
        tracking_no = self.rng.choice(self.parcels)
        at = datetime.now(UTC) - timedelta(microseconds=self.rng.randrange(10**9))
        body = {
            "courier": COURIER,
            "tracking_no": tracking_no,
            "occurred_at": at.isoformat(),
            "raw_text": f"快件已到达【杭州转运中心】{next(_serial)}",
        }
        result = self.post("event", "/api/tracking-events", body)
        if result is not None:
            with self.tally.lock:
                self.tally.events += result["created"]

    def chat_message(self) -> None:
        body = {
            "shop_id": self.shop_id,
            "platform": "tmall",
            "session_key": f"{self.run_id}-{self.rng.randrange(200)}",
            "sender": self.rng.choice(["customer", "agent"]),
            "text": f"请问我的快递到哪里了 {next(_serial)}",
            "sent_at": datetime.now(UTC).isoformat(),
            "source_id": f"{self.run_id}-{next(_serial)}",
        }
        result = self.post("chat", "/api/chats/messages", body)
        if result is not None:
            with self.tally.lock:
                self.tally.chats += result["created"]

    def comment(self) -> None:
        if self.post(
            "comment", f"/api/tickets/{self.ticket_id}/comments", {"text": COMMENT, "internal": True}
        ):
            with self.tally.lock:
                self.tally.comments += 1

    def read_orders(self) -> None:
        started = time.perf_counter()
        try:
            response: httpx.Response | None = self.http.get("/api/orders", params={"size": 20})
        except httpx.HTTPError:
            response = None
        self.tally.record("read", time.perf_counter() - started, response)


def _open_ticket(base: str, token: str, shop_id: int) -> int | None:
    """A ticket to comment on, when the tickets API exists; the mix skips comments otherwise."""
    body = {
        "type": "consultation",
        "category": "物流问题",
        "title": "压测工单",
        "description": "load",
        "shop_id": shop_id,
    }
    try:
        response = httpx.post(f"{base}/api/tickets", json=body, headers={"Authorization": f"Bearer {token}"})
    except httpx.HTTPError:
        return None
    return int(response.json()["id"]) if response.status_code < 300 else None


def _phase(clients: list[LoadClient], seconds: float, rate: float | None) -> float:
    """Run every client for ``seconds``; paced at ``rate`` requests/s in total, or flat out."""
    stop_at = time.monotonic() + seconds

    def loop(client: LoadClient) -> None:
        interval = len(clients) / rate if rate else 0.0
        next_at = time.monotonic()
        while time.monotonic() < stop_at:
            client.step()
            if interval:
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))

    threads = [threading.Thread(target=loop, args=(c,)) for c in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _cpu_per_request(client: LoadClient, pid: int, requests: int) -> dict[str, float]:
    """Server CPU milliseconds per request of each kind, one kind at a time from one client, and
    of an empty request (``/healthz``) as the floor of the framework and the server."""
    steps = {
        "empty": lambda: client.http.get("/healthz"),
        "order": client.new_order,
        "shipment": client.new_parcel,
        "event": client.new_event,
        "chat": client.chat_message,
        "read": client.read_orders,
        **({"comment": client.comment} if client.ticket_id is not None else {}),
    }
    spent = {}
    for kind, step in steps.items():
        if kind == "shipment":  # each parcel needs an order of its own
            for _ in range(requests - len(client.orders)):
                client.new_order()
        before = process_tree_cpu(pid)
        for _ in range(requests):
            step()
        spent[kind] = (process_tree_cpu(pid) - before) / requests * 1000
    return spent


def _stored(url: str, run_id: str, ticket_id: int | None) -> tuple[int, ...]:
    """What the database holds of this run, in the order of ``KINDS``."""
    from aftersales.db import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        counts = tuple(session.scalar(query) or 0 for query in _count_queries(run_id, ticket_id))
    engine.dispose()
    return counts


def _count_queries(run_id: str, ticket_id: int | None) -> list[Any]:
    from aftersales.conversations.models import ChatMessage, ChatSession
    from aftersales.orders.models import Order, Shipment, TrackingEvent
    from aftersales.tickets.models import TimelineEntry

    orders = select(Order.id).where(Order.source_id.like(f"{run_id}%"))
    shipments = select(Shipment.id).where(Shipment.order_id.in_(orders))
    chats = select(ChatSession.id).where(ChatSession.session_key.like(f"{run_id}%"))
    comments = (TimelineEntry.ticket_id == ticket_id) & (TimelineEntry.message == COMMENT)
    return [
        select(func.count()).select_from(orders.subquery()),
        select(func.count()).select_from(shipments.subquery()),
        select(func.count()).where(TrackingEvent.shipment_id.in_(shipments)),
        select(func.count()).where(ChatMessage.session_id.in_(chats)),
        select(func.count()).where(comments),
    ]


def run(full: bool) -> list[Figure]:
    seconds = 120.0 if full else 10.0
    run_id = f"L{uuid.uuid4().hex[:6]}"
    with scratch_database() as url:
        token, shop_code, shop_id = _seed(url)
        backend = make_url(url).get_backend_name()
        with api_server(url) as (base, pid):
            ticket_id = _open_ticket(base, token, shop_id)
            paced, flat, warm_up = Tally(), Tally(), Tally()
            clients = [
                LoadClient(base, token, (shop_code, shop_id), warm_up, f"{run_id}{n}", ticket_id)
                for n in range(THREADS)
            ]
            # a serving worker has loaded its text models: the first chat message of each worker
            # waits for them (seconds), which is a start-up cost, not the load's
            _phase(clients, WARM_UP_SECONDS, None)
            for client in clients:
                client.tally = paced
            paced_time = _phase(clients, seconds, RATE)
            for client in clients:
                client.tally = flat
            flat_time = _phase(clients, seconds, None)
            clients[0].tally = Tally()
            cpu = _cpu_per_request(clients[0], pid, CPU_REQUESTS)
            for client in clients:
                client.http.close()  # no idle keep-alive connection delays the server's shutdown
        stored = _stored(url, run_id, ticket_id)
    acknowledged = tuple(
        sum(getattr(tally, kind) for tally in (warm_up, paced, flat, clients[0].tally)) for kind in KINDS
    )
    lost = sum(a - s for a, s in zip(acknowledged, stored, strict=True))
    errors = {**paced.errors, **{k: v + paced.errors.get(k, 0) for k, v in flat.errors.items()}}
    mix = f"{THREADS} client threads, {SERVER_WORKERS} uvicorn workers, {backend}; " + (
        "orders/parcels/tracking/chat messages/ticket comments/reads"
        if ticket_id
        else "orders/parcels/tracking/chat messages/reads (no tickets API)"
    )
    per_kind = [
        Figure(
            f"  {kind}: p50 / p99 at {RATE} req/s",
            percentile(times, 99) * 1000,
            "ms",
            "",
            f"p50 {percentile(times, 50) * 1000:.1f} ms, {len(times)} requests; server CPU "
            f"{cpu.get(kind, float('nan')):.1f} ms/request",
        )
        for kind, times in sorted(paced.by_kind.items())
    ]
    return [
        Figure(
            f"API p99 at {RATE} req/s (mixed)",
            percentile(paced.latencies, 99) * 1000,
            "ms",
            "< 50 ms",
            f"{len(paced.latencies) / paced_time:,.0f} req/s achieved over {seconds:.0f}s; {mix}",
        ),
        Figure("API p50 at the same rate", percentile(paced.latencies, 50) * 1000, "ms"),
        *per_kind,
        Figure(
            "  baseline: server CPU of an empty request (/healthz)",
            cpu["empty"],
            "ms",
            "",
            f"{CPU_REQUESTS} requests of each kind, one client; the server's processes' CPU",
        ),
        Figure(
            "API throughput, unpaced mixed load",
            len(flat.latencies) / flat_time,
            "req/s",
            "≥ 600 req/s",
            f"p99 {percentile(flat.latencies, 99) * 1000:.0f} ms at saturation over {seconds:.0f}s",
        ),
        Figure(
            "requests acknowledged but not stored",
            lost,
            "rows",
            "0",
            f"{'/'.join(KINDS)} acknowledged {acknowledged}, stored {stored}",
        ),
        Figure(
            "failed requests (non-2xx or connection)",
            sum(errors.values()),
            "requests",
            "0",
            ", ".join(f"{k}×{v}" for k, v in sorted(errors.items())) or "none",
        ),
    ]
