"""Two requests ingesting orders of the same new buyer at once (PostgreSQL, real transactions).

The second request's upsert waits for the first transaction, then finds the customer row
unchanged; it must still resolve the customer's id instead of failing with HTTP 500.
"""

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform, Shop
from aftersales.db import make_engine
from aftersales.orders.models import Customer, Order, OrderStatus
from aftersales.orders.schemas import IngestResult, OrderIn
from aftersales.orders.service import ingest_orders
from tests.databases import fresh_database

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(tmp_path) as url:
        engine = make_engine(url)
        with Session(engine) as session:
            session.add(Shop(code="race", name="并发", platform=Platform.TMALL))
            session.commit()
        yield engine
        engine.dispose()


def order(order_no: str) -> OrderIn:
    return OrderIn(
        shop_code="race",
        order_no=order_no,
        buyer_nick="同一个新买家",
        status=OrderStatus.PAID,
        total_fen=100,
        paid_fen=100,
        receiver_phone="13812345678",
        ordered_at=datetime.now(UTC),
    )


def test_an_order_waiting_on_a_concurrent_insert_of_its_buyer_is_stored(engine: Engine) -> None:
    first = Session(engine)
    ingest_orders(first, [order("RACE-1")])  # inserts the buyer, not committed yet
    outcome: list[IngestResult | BaseException] = []

    def second_request() -> None:
        with Session(engine) as session:
            try:
                outcome.append(ingest_orders(session, [order("RACE-2")]))
                session.commit()
            except BaseException as exc:  # handed to the test thread
                outcome.append(exc)

    thread = threading.Thread(target=second_request)
    thread.start()
    time.sleep(1.0)  # the second upsert is now blocked on the first transaction's row
    first.commit()
    first.close()
    thread.join(timeout=30)

    assert [type(o).__name__ for o in outcome] == ["IngestResult"]
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == 1
        assert session.scalar(select(func.count()).select_from(Order)) == 2
