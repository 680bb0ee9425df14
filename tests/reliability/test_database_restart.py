"""PostgreSQL goes away during ingestion: the API answers 503 with a clear message, no batch is
half-written, and the API recovers by itself once the database is back.

Runs against a throwaway cluster (``initdb`` on its own port), never the shared server.
"""

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.auth.models import Role
from aftersales.auth.service import create_user, issue_token
from aftersales.catalog.models import Platform, Shop
from aftersales.db import make_engine
from aftersales.migrate import upgrade
from aftersales.orders.models import Order
from tests.reliability.pgcluster import Cluster, pg_bin, throwaway_cluster
from tests.reliability.support import ROOT, free_port, stop, subprocess_env, wait_for

pytestmark = pytest.mark.skipif(pg_bin("initdb") is None, reason="PostgreSQL server binaries not installed")

BATCH = 50


@dataclass
class Sent:
    prefix: str
    status: int
    body: dict[str, object]


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    with throwaway_cluster() as cluster:
        upgrade(cluster.url)
        yield cluster


def seed(cluster: Cluster) -> str:
    engine = make_engine(cluster.url)
    with Session(engine) as session:
        session.add(Shop(code="restart", name="重启测试", platform=Platform.JD))
        user = create_user(
            session, username="restart", display_name="重启", password="restart-pass-1", role=Role.AGENT
        )
        token = issue_token(session, user=user)
        session.commit()
    engine.dispose()
    return token


def batch(prefix: str) -> list[dict[str, object]]:
    now = datetime.now(UTC).isoformat()
    return [
        {
            "shop_code": "restart",
            "order_no": f"{prefix}-{n:03d}",
            "buyer_nick": f"{prefix}-b{n}",
            "status": "paid",
            "total_fen": 100,
            "paid_fen": 100,
            "ordered_at": now,
            "items": [{"title": "杯子", "unit_price_fen": 100}],
        }
        for n in range(BATCH)
    ]


def stored(cluster: Cluster, prefix: str) -> int:
    engine = make_engine(cluster.url)
    try:
        with Session(engine) as session:
            return session.scalar(select(func.count()).where(Order.source_id.like(f"{prefix}-%"))) or 0
    finally:
        engine.dispose()


def test_api_answers_503_while_the_database_is_down_and_recovers_without_half_written_batches(
    cluster: Cluster, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    token = seed(cluster)
    port = free_port()
    log = (tmp_path / "api.log").open("wb")
    api = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "aftersales.api:create_app", "--factory", "--port", str(port)],
        cwd=ROOT,
        env=subprocess_env(cluster.url),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    sent: list[Sent] = []
    stop_sending = threading.Event()

    def ingest() -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            n = 0
            while not stop_sending.is_set():
                prefix = f"R{n:04d}"
                response = client.post("/api/orders/batch", json=batch(prefix))
                sent.append(Sent(prefix, response.status_code, response.json()))
                n += 1
                time.sleep(0.05)

    try:
        wait_for(lambda: _healthy(base), timeout=240, what="API up")
        sender = threading.Thread(target=ingest)
        sender.start()
        wait_for(lambda: sum(s.status == 200 for s in sent) >= 3, timeout=60, what="ingestion under way")
        cluster.stop()
        wait_for(lambda: sum(s.status == 503 for s in sent) >= 3, timeout=60, what="503 answers while down")
        cluster.start()
        down_until = len(sent)
        wait_for(lambda: any(s.status == 200 for s in sent[down_until:]), timeout=60, what="recovery")
        stop_sending.set()
        sender.join(timeout=60)
    finally:
        stop_sending.set()
        stop(api)
        log.close()

    unavailable = [s for s in sent if s.status == 503]
    assert {s.body["error"] for s in unavailable} == {"DatabaseUnavailable"}
    assert all("数据库暂时不可用" in str(s.body["detail"]) for s in unavailable)
    assert {s.status for s in sent} <= {200, 503}
    for s in sent:
        count = stored(cluster, s.prefix)
        assert count == (BATCH if s.status == 200 else 0), (
            f"batch {s.prefix} answered {s.status}, stored {count}"
        )


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
