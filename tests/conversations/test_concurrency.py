"""Chat messages posted at once by several API workers (PostgreSQL: real concurrent transactions)."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aftersales.conversations import service
from aftersales.conversations.models import ChatSession
from aftersales.db import make_engine
from aftersales.kit.time import utcnow
from tests.builders import make_order, make_shop
from tests.databases import fresh_database
from tests.jobs.test_concurrency import in_parallel

WORKERS = 4
MESSAGES = 8

pytestmark = pytest.mark.postgres


@contextmanager
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    with fresh_database(tmp_path) as url:
        engine = make_engine(url, pool_size=WORKERS + 2)
        yield sessionmaker(bind=engine, expire_on_commit=False)
        engine.dispose()


def post(
    factory: sessionmaker[Session], shop_id: int, key: str, worker: int, n: int, order_id: int | None = None
) -> None:
    with factory.begin() as session:
        service.append_message(
            session,
            shop_id=shop_id,
            platform="tmall",
            session_key=key,
            sender="customer",
            text=f"第{worker}-{n}条",
            sent_at=utcnow() - timedelta(hours=1) + timedelta(seconds=worker * 100 + n),
            order_id=order_id,
        )


def chat_rows(factory: sessionmaker[Session]) -> dict[str, tuple[int, bool]]:
    with factory() as session:
        chats = session.scalars(select(ChatSession)).all()
        return {c.session_key: (c.customer_messages, c.repeat_contact) for c in chats}


def test_messages_posted_at_once_to_one_chat_are_all_counted(tmp_path: Path) -> None:
    with sessions(tmp_path) as factory:
        with factory.begin() as session:
            shop_id = make_shop(session, platform="tmall").id

        def chat(worker: int) -> None:
            for n in range(MESSAGES):
                post(factory, shop_id, "c-1", worker, n)

        in_parallel(chat, WORKERS)

        assert chat_rows(factory) == {"c-1": (WORKERS * MESSAGES, False)}


def test_chats_about_one_order_posted_at_once_neither_deadlock_nor_lose_the_repeat_flag(
    tmp_path: Path,
) -> None:
    with sessions(tmp_path) as factory:
        with factory.begin() as session:
            order = make_order(session, shop=make_shop(session, platform="tmall"))
            shop_id, order_id = order.shop_id, order.id

        def chat(worker: int) -> None:
            for n in range(MESSAGES):
                post(factory, shop_id, f"c-{worker % 2}", worker, n, order_id=order_id)

        in_parallel(chat, WORKERS)

        counts = chat_rows(factory)
        assert sorted(counts.values()) == [(WORKERS // 2 * MESSAGES, False), (WORKERS // 2 * MESSAGES, True)]
