"""Issue 3: the ticket queue with SLA state over many open tickets, and ticket create + read
through the API at a fixed rate.

1. Queue: ``N`` open tickets (200,000 with ``full``) bulk-loaded into SQLite and PostgreSQL;
   each sample is one queue page exactly as the console asks for it (page of 50 with the
   database-computed SLA state, plus the total count) under a random filter: everything, one
   group, breached only, one agent's tickets, one shift. p50/p95 over the samples.
2. API: a uvicorn subprocess on a throwaway PostgreSQL database; requests are paced at 200/s
   (open loop: latency counts from the scheduled send time, so a stalled server cannot hide
   its queueing) and alternate ``POST /api/tickets`` and ``GET /api/tickets/{id}``.
"""

import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session

from aftersales.kit.memory import freeze_long_lived
from benchmarks.figures import (
    Figure,
    free_port,
    percentile,
    process_tree_cpu,
    scratch_postgres,
    scratch_sqlite,
)

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get(
    "AFTERSALES_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
QUEUE_SAMPLES = 60
RATE = 200
SERVER_WORKERS = 2
CLIENT_THREADS = 16
WARM_UP_SECONDS = 5  # both workers fill their connection pools and caches before the timed phase
SEQUENTIAL_PAIRS = 300
STARTUP_SECONDS = 240  # two workers importing the app on a loaded 2-core machine
LOAD_CHUNK = 5000


@contextmanager
def scratch(kind: str) -> Iterator[str | None]:
    """A migrated throwaway database (``sqlite`` or ``postgresql``); None when PostgreSQL is down."""
    if kind == "sqlite":
        with scratch_sqlite() as url:
            yield url
        return
    with scratch_postgres() as pg_url:
        yield pg_url


def _seed_people(session: Session) -> tuple[int, list[int]]:
    from aftersales.auth.models import Role, User
    from aftersales.catalog.models import Platform, Shop

    shop = Shop(code="bench", name="压测店铺", platform=Platform.TMALL)
    session.add(shop)
    users = [
        User(username=f"agent{i}", display_name=f"客服{i}", role=Role.AGENT, password_hash="x")
        for i in range(12)
    ]
    session.add_all(users)
    session.flush()
    return shop.id, [u.id for u in users]


def _load_tickets(engine: Engine, count: int, rng: random.Random) -> dict[str, Any]:
    """Open tickets with deadlines spread from 3 hours ago to a day ahead (a busy promotion)."""
    from aftersales.kit.time import utcnow
    from aftersales.tickets.models import QUEUE_END, Shift, Ticket, TicketGroup

    now = utcnow()
    with Session(engine) as session:
        shop_id, users = _seed_people(session)
        groups = list(session.scalars(select(TicketGroup.id).where(TicketGroup.kind == "team")))
        shifts = list(session.scalars(select(Shift.id)))
        session.commit()
    statuses = ["new", "in_progress", "waiting_internal", "waiting_customer"]
    types = ["consultation", "return", "exchange", "refund", "complaint"]
    rows = []
    for n in range(count):
        created = now - timedelta(minutes=rng.uniform(0, 48 * 60))
        status = rng.choices(statuses, [30, 40, 10, 20])[0]
        due = None if status == "waiting_customer" else now + timedelta(minutes=rng.uniform(-180, 24 * 60))
        rows.append(
            {
                "shop_id": shop_id,
                "type": rng.choice(types),
                "category": "商品问题",
                "subcategory": "质量问题",
                "title": f"压测工单 {n}",
                "description": "",
                "severity": "medium",
                "priority": rng.randint(1, 4),
                "status": status,
                "group_id": rng.choice(groups),
                "assignee_id": rng.choice(users),
                "shift_id": rng.choice(shifts),
                "is_vip": False,
                "source": "bench",
                "data": {},
                "sla_due_at": due,
                "is_open": True,
                "queue_at": due or QUEUE_END,
                "sla_warn_at": due - timedelta(minutes=30) if due else None,
                "sla_paused_seconds": 0,
                "sla_breached": False,
                "sla_alert_level": 0,
                "reopened_count": 0,
                "created_at": created,
                "updated_at": created,
            }
        )
    with engine.begin() as conn:
        for start in range(0, len(rows), LOAD_CHUNK):
            conn.execute(insert(Ticket), rows[start : start + LOAD_CHUNK])
    # Steady state: statistics gathered (and on PostgreSQL the visibility map set, as autovacuum
    # would have done), so index-only scans are index-only.
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return {"groups": groups, "users": users, "shifts": shifts}


def _queue_page(engine: Engine, filters: Any, now: Any) -> float:
    from aftersales.tickets import repository

    started = time.perf_counter()
    with Session(engine) as session:
        statement = repository.queue(filters, now=now)
        session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))
        rows = session.execute(statement.limit(50)).all()
        assert rows is not None
    return (time.perf_counter() - started) * 1000


def _random_filter(rng: random.Random, ids: dict[str, Any]) -> Any:
    from aftersales.tickets.repository import QueueFilter, SlaState

    choice = rng.randrange(5)
    if choice == 0:
        return QueueFilter()
    if choice == 1:
        return QueueFilter(group_id=rng.choice(ids["groups"]))
    if choice == 2:
        return QueueFilter(sla=SlaState.BREACHED)
    if choice == 3:
        return QueueFilter(assignee_id=rng.choice(ids["users"]))
    return QueueFilter(shift_id=rng.choice(ids["shifts"]), sla=SlaState.AT_RISK)


def queue_figures(kind: str, count: int) -> list[Figure]:
    from aftersales.db import make_engine
    from aftersales.kit.time import utcnow

    with scratch(kind) as url:
        if url is None:
            return [Figure(f"queue p95 ({kind})", float("nan"), "ms", note="PostgreSQL unreachable")]
        engine = make_engine(url)
        rng = random.Random(3)
        loaded = time.perf_counter()
        ids = _load_tickets(engine, count, rng)
        load_s = time.perf_counter() - loaded
        for _ in range(3):  # warm caches
            _queue_page(engine, _random_filter(rng, ids), utcnow())
        samples = [_queue_page(engine, _random_filter(rng, ids), utcnow()) for _ in range(QUEUE_SAMPLES)]
        engine.dispose()
    note = (
        f"{count:,} open tickets, page of 50 + total, {QUEUE_SAMPLES} random filters; loaded in {load_s:.0f}s"
    )
    return [
        Figure(f"queue page p50 ({kind})", statistics.median(samples), "ms", "", note),
        Figure(f"queue page p95 ({kind})", percentile(samples, 95), "ms", "< 100 ms", note),
    ]


# ---- API create + read ----------------------------------------------------------------------


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def api_server(url: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """uvicorn in a subprocess (its own processes, like production), stopped by its own id."""
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
    ]
    command += [
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
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _healthy(base):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"API server not up after {STARTUP_SECONDS} s")
            time.sleep(0.2)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)


def _token(url: str) -> tuple[str, int]:
    from aftersales.auth.models import Role
    from aftersales.auth.service import create_user, issue_token
    from aftersales.catalog.models import Platform, Shop
    from aftersales.db import make_engine

    engine = make_engine(url)
    with Session(engine) as session:
        shop = Shop(code="api", name="压测店铺", platform=Platform.TMALL)
        session.add(shop)
        user = create_user(
            session, username="api-agent", display_name="压测", password="api-pass-123", role=Role.AGENT
        )
        token = issue_token(session, user=user)
        session.commit()
        shop_id = shop.id
    engine.dispose()
    return token, shop_id


def _paced_load(
    base: str, token: str, shop_id: int, seconds: float
) -> tuple[list[float], dict[str, int], float]:
    """Open-loop: request i is due at ``start + i / RATE``; latency counts from that moment. The
    load generator's own garbage-collector pauses would count as server latency (this process
    holds the whole app from seeding), hence ``freeze_long_lived`` first."""
    freeze_long_lived()
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    created: list[int] = []
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    total = int(seconds * RATE)
    start = time.perf_counter() + 0.5

    def one(i: int) -> None:
        due = start + i / RATE
        time.sleep(max(0.0, due - time.perf_counter()))
        with lock:
            read = i % 2 == 1 and created
            target = created[-1] if read else None
        try:
            if target is not None:
                response = client.get(f"/api/tickets/{target}")
            else:
                body = {"shop_id": shop_id, "type": "consultation", "category": "其他", "title": f"压测 {i}"}
                response = client.post("/api/tickets", json=body)
            ok = response.status_code < 300
            kind = str(response.status_code)
        except httpx.HTTPError as exc:
            ok, response, kind = False, None, type(exc).__name__
        elapsed = (time.perf_counter() - due) * 1000
        with lock:
            latencies.append(elapsed)
            if not ok:
                errors[kind] = errors.get(kind, 0) + 1
            elif target is None and response is not None:
                created.append(response.json()["id"])

    began = time.perf_counter()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(one, range(total)))
    achieved = total / (time.perf_counter() - began - 0.5)
    client.close()
    return latencies, errors, achieved


def _cpu_per_request(base: str, token: str, shop_id: int, server: subprocess.Popen[bytes]) -> Figure:
    """One request at a time: the CPU a create+read pair costs the server and this client, and
    the cores a 200 req/s load (100 pairs/s) therefore needs, against the machine's."""
    client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    body = {"shop_id": shop_id, "type": "consultation", "category": "其他", "title": "逐个压测"}
    server_cpu, client_cpu = process_tree_cpu(server.pid), time.process_time()
    for _ in range(SEQUENTIAL_PAIRS):
        created = client.post("/api/tickets", json=body).json()["id"]
        client.get(f"/api/tickets/{created}").raise_for_status()
    server_ms = (process_tree_cpu(server.pid) - server_cpu) / SEQUENTIAL_PAIRS * 1000
    client_ms = (time.process_time() - client_cpu) / SEQUENTIAL_PAIRS * 1000
    floor_cpu = process_tree_cpu(server.pid)
    for _ in range(SEQUENTIAL_PAIRS):
        client.get("/healthz")
    floor_ms = (process_tree_cpu(server.pid) - floor_cpu) / SEQUENTIAL_PAIRS * 1000
    client.close()
    cores = (server_ms + client_ms) * RATE / 2 / 1000
    note = f"server {server_ms:.1f} ms + client {client_ms:.1f} ms CPU per pair"
    note += f"; GET /healthz {floor_ms:.1f} ms; {os.cpu_count()} cores here"
    return Figure("API cores needed for 200 req/s create+read", cores, "cores", "", note)


def api_figures(seconds: float) -> list[Figure]:
    with scratch("postgresql") as url:
        if url is None:
            return [Figure("API create+read p99", float("nan"), "ms", note="PostgreSQL unreachable")]
        token, shop_id = _token(url)
        with api_server(url) as (base, server):
            _paced_load(base, token, shop_id, WARM_UP_SECONDS)  # imports, pools, plans, caches
            latencies, errors, achieved = _paced_load(base, token, shop_id, seconds)
            cost = _cpu_per_request(base, token, shop_id, server)
    note = f"{len(latencies):,} requests over {seconds:.0f}s, {achieved:.0f} req/s achieved"
    note += f", errors {errors or 'none'}"
    return [
        Figure("API create+read p50 (PostgreSQL)", statistics.median(latencies), "ms", "", note),
        Figure("API create+read p99 (PostgreSQL)", percentile(latencies, 99), "ms", "< 50 ms", note),
        cost,
    ]


def run(full: bool) -> list[Figure]:
    count = 200_000 if full else 20_000
    figures = queue_figures("sqlite", count) + queue_figures("postgresql", count)
    return figures + api_figures(60 if full else 10)
