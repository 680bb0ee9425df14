"""The fast paths of ``kit.upsert`` against their plain references."""

import functools
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform, Shop
from aftersales.conversations.models import ChatSession, Handling
from aftersales.kit import upsert
from aftersales.kit.time import SHANGHAI
from aftersales.kit.upsert import (
    Membership,
    execute_in,
    in_values,
    sqlite_datetime,
    sqlite_datetimes,
    update_by_key,
    update_by_key_plain,
)
from aftersales.orders.models import Customer
from tests.builders.catalog import make_shop
from tests.builders.conversations import make_chat

SKIPPED = {"id", "session_key", "created_at", "updated_at"}


def _chats(session: Session) -> tuple[ChatSession, ChatSession]:
    shop = make_shop(session)
    lines = [("customer", 0, "在吗"), ("agent", 30, "在的亲")]
    start = datetime(2026, 11, 11, 2, tzinfo=UTC)
    return make_chat(session, lines, shop=shop, start=start), make_chat(
        session, lines, shop=shop, start=start
    )


def _values(session: Session, chat: ChatSession) -> dict[str, Any]:
    session.expire(chat)
    return {c.key: getattr(chat, c.key) for c in ChatSession.__mapper__.column_attrs if c.key not in SKIPPED}


class TestUpdateByKeyEqualsPlain:
    def test_every_kind_of_column_is_stored_alike(self, session: Session) -> None:
        fast, plain = _chats(session)
        changes = {
            "ended_at": datetime(2026, 11, 11, 3, 4, 5, 678, tzinfo=UTC),
            "first_response_seconds": None,
            "handling": Handling.TRANSFERRED,
            "repeat_contact": True,
            "customer_messages": 7,
            "updated_at": datetime(2026, 11, 11, 4, tzinfo=UTC),
        }
        update_by_key(session, ChatSession, [{"id": fast.id, **changes}])
        update_by_key_plain(session, ChatSession, [{"id": plain.id, **changes}])
        assert _values(session, fast) == _values(session, plain)
        assert fast.updated_at == plain.updated_at == changes["updated_at"]

    def test_an_onupdate_column_the_rows_leave_out_is_stamped(self, session: Session) -> None:
        fast, plain = _chats(session)
        before = fast.updated_at
        update_by_key(session, ChatSession, [{"id": fast.id, "repeat_contact": True}])
        update_by_key_plain(session, ChatSession, [{"id": plain.id, "repeat_contact": True}])
        assert _values(session, fast) == _values(session, plain)
        assert fast.updated_at > before


class TestPlainInEqualsJsonEach:
    def test_a_few_values_select_the_rows_a_json_list_selects(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        chats = [*_chats(session), *_chats(session)]
        wanted = [chats[0].id, chats[2].id, -1]

        def selected() -> list[int]:
            query = select(ChatSession.id).where(in_values(session, ChatSession.id, wanted))
            return sorted(session.scalars(query))

        plain = selected()
        monkeypatch.setattr(upsert, "PLAIN_IN_VALUES", 0)
        assert selected() == plain == sorted([chats[0].id, chats[2].id])


class TestExecuteInEqualsInValues:
    """``execute_in``'s statement, built once per form with the values bound, selects what the same
    statement built with ``in_values`` selects: a few values, none, and a list past the plain ``IN``."""

    def test_each_form_selects_the_rows_in_values_selects(
        self, session: Session, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        chats = [*_chats(session), *_chats(session)]
        for wanted in ([chats[0].id, chats[2].id, -1], [], [chat.id for chat in chats]):
            for plain_values in (upsert.PLAIN_IN_VALUES, 0):
                monkeypatch.setattr(upsert, "PLAIN_IN_VALUES", plain_values)
                built = sorted(
                    session.scalars(_chat_ids(functools.partial(in_values, session, values=wanted)))
                )
                assert sorted(execute_in(session, _chat_ids, wanted).scalars()) == built
                assert built == sorted(set(wanted) & {chat.id for chat in chats})


def _chat_ids(member: Membership) -> Select[int]:
    return select(ChatSession.id).where(member(ChatSession.id))


NOW = datetime(2026, 11, 11, 8, 30, 15, 123456, tzinfo=UTC)
TIMES = [
    NOW,
    None,
    NOW.replace(microsecond=0),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(1969, 12, 31, 23, 59, 59, 1, tzinfo=UTC),
    datetime(2026, 11, 11, 0, 0, 0, tzinfo=SHANGHAI),
    datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=-5))),
    NOW,
]


class TestColumnDatetimesEqualPlain:
    def test_mixed_column(self) -> None:
        assert sqlite_datetimes(TIMES) == [sqlite_datetime(t) for t in TIMES]

    def test_utc_column_without_gaps(self) -> None:
        column = [NOW + timedelta(seconds=n, microseconds=7 * n) for n in range(1000)]
        assert sqlite_datetimes(column) == [sqlite_datetime(t) for t in column]

    def test_utc_column_with_gaps(self) -> None:
        column = [t for t in TIMES if t is None or t.tzinfo is UTC]
        assert sqlite_datetimes(column) == [sqlite_datetime(t) for t in column]

    def test_one_shared_value(self) -> None:
        assert sqlite_datetimes([NOW] * 3) == [sqlite_datetime(NOW)] * 3

    def test_empty_and_all_empty_columns(self) -> None:
        assert sqlite_datetimes([]) == []
        assert sqlite_datetimes([None, None]) == [None, None]


class TestOneRowAsABatch:
    """One row goes to the driver's ``execute``, several to its ``executemany``: an upsert returns
    the inserted and changed rows, never the unchanged ones, either way."""

    @staticmethod
    def _returned(session: Session, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        stamped = [
            {**row, "platform": Platform.TMALL, "created_at": datetime(2026, 11, 11, tzinfo=UTC)}
            for row in rows
        ]
        found = upsert.upsert(
            session, Shop, stamped, conflict_columns=("code",), update_columns=("name",), returning=("code",)
        )
        return sorted(found)

    @pytest.mark.parametrize("codes", [["one-a"], ["many-a", "many-b"]])
    def test_inserted_unchanged_and_changed_rows(self, session: Session, codes: list[str]) -> None:
        first = [{"code": code, "name": "旗舰店"} for code in codes]
        renamed = [{"code": code, "name": "专卖店"} for code in codes]
        expected = [(code,) for code in sorted(codes)]
        assert self._returned(session, first) == expected
        assert self._returned(session, first) == []
        assert self._returned(session, renamed) == expected
        assert session.scalars(select(Shop.name).where(Shop.code.in_(codes))).all() == ["专卖店"] * len(codes)


class TestUpsertColumnsEqualsRows:
    """A bulk import hands its columns to ``upsert_columns``; ``upsert`` takes rows apart into the
    same columns: both insert, update on conflict and return alike."""

    @staticmethod
    def _customers(prefix: str, name: str) -> list[dict[str, Any]]:
        at = datetime(2026, 11, 11, 1, 2, 3, 456, tzinfo=UTC)
        return [
            {"platform": Platform.TAOBAO, "source_id": f"{prefix}{n}", "name": name, "phone": None,
             "province": "浙江省", "city": None, "is_vip": n == 1, "created_at": at}
            for n in range(3)
        ]  # fmt: skip

    def _store(self, session: Session, prefix: str, name: str, *, by_columns: bool) -> list[tuple[Any, ...]]:
        rows = self._customers(prefix, name)
        keys = {"conflict_columns": ("platform", "source_id"), "update_columns": ("name",)}
        if by_columns:
            columns = {column: [row[column] for row in rows] for column in rows[0]}
            returned = upsert.upsert_columns(
                session, Customer, columns, **keys, returning=("source_id", "name")
            )
        else:
            returned = upsert.upsert(session, Customer, rows, **keys, returning=("source_id", "name"))
        return [(source_id.removeprefix(prefix), name) for source_id, name in returned]

    def _stored(self, session: Session, prefix: str) -> list[tuple[Any, ...]]:
        columns = (Customer.source_id, Customer.name, Customer.is_vip, Customer.city, Customer.created_at)
        rows = session.execute(
            select(*columns).where(Customer.source_id.startswith(prefix)).order_by(Customer.id)
        )
        return [(source_id.removeprefix(prefix), *rest) for source_id, *rest in rows]

    def test_inserts_updates_and_returns_alike(self, session: Session) -> None:
        for name in ("张三", "张三", "李四"):  # inserted, unchanged (nothing returned), updated
            assert self._store(session, "c-", name, by_columns=True) == self._store(
                session, "r-", name, by_columns=False
            )
            assert self._stored(session, "c-") == self._stored(session, "r-")

    def test_empty_columns_store_nothing(self, session: Session) -> None:
        columns: dict[str, list[Any]] = {"platform": [], "source_id": []}
        assert (
            upsert.upsert_columns(
                session, Customer, columns, conflict_columns=("platform", "source_id"), update_columns=()
            )
            == []
        )
