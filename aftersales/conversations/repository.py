"""Every query of the conversations domain."""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Row, Select, bindparam, func, or_, select, tuple_
from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform, Shop
from aftersales.conversations.models import ChatMessage, ChatSession, Sender
from aftersales.db import is_postgres
from aftersales.kit.upsert import Membership, execute_in, in_values
from aftersales.orders.models import Order, OrderItem

_SESSION_IDS = select(ChatSession.shop_id, ChatSession.session_key, ChatSession.id).where(
    tuple_(ChatSession.shop_id, ChatSession.session_key).in_(bindparam("keys", expanding=True))
)


def session_ids(session: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
    rows = session.execute(_SESSION_IDS, {"keys": keys})  # built once (``kit.upsert.execute_in``)
    return {(shop_id, key): session_id for shop_id, key, session_id in rows}


def shops(session: Session, shop_ids: Iterable[int]) -> dict[int, Shop]:
    return {shop.id: shop for shop in execute_in(session, _shops, set(shop_ids)).scalars()}


def _shops(member: Membership) -> Select[Shop]:
    return select(Shop).where(member(Shop.id))


def lock_sessions(session: Session, session_ids: list[int], order_ids: set[int]) -> None:
    """Hold the chats' orders, then the chats and every other chat about those orders (whose
    repeat flags an ingest rewrites), each in id order, until commit. Concurrent ingests of one
    chat then recompute its metrics one after the other from all committed messages instead of
    the last overwriting the other's, and chats about one order take turns: a chat created by
    another transaction after these locks is about a locked order, so it waits instead of
    deadlocking. ``FOR NO KEY UPDATE`` on orders does not block their foreign-key checks.
    SQLite serialises writers anyway: the ingest's first insert holds the database's write lock
    until commit, and there the two reads would lock nothing, so they are not sent."""
    if not is_postgres(session):
        return
    execute_in(session, _locked_orders, session_ids, order_ids=sorted(order_ids)).all()
    execute_in(session, _locked_chats, session_ids, order_ids=sorted(order_ids)).all()


def _locked_orders(member: Membership) -> Select[int]:
    """The chats' orders and ``order_ids`` (built once: every ingest on PostgreSQL runs it)."""
    of_chats = select(ChatSession.order_id).where(member(ChatSession.id))
    orders = or_(Order.id.in_(of_chats), Order.id.in_(bindparam("order_ids", expanding=True)))
    return select(Order.id).where(orders).order_by(Order.id).with_for_update(key_share=True)


def _locked_chats(member: Membership) -> Select[int]:
    """The chats and every other chat about their orders or ``order_ids``."""
    of_chats = select(ChatSession.order_id).where(member(ChatSession.id))
    about_orders = or_(
        ChatSession.order_id.in_(of_chats), ChatSession.order_id.in_(bindparam("order_ids", expanding=True))
    )
    return (
        select(ChatSession.id)
        .where(or_(member(ChatSession.id), about_orders))
        .order_by(ChatSession.id)
        .with_for_update()
    )


def turns(
    session: Session, session_ids: Sequence[int]
) -> list[tuple[int, int, Sender, datetime, int | None]]:
    """(message id, session id, sender, sent at, stored response seconds) of the sessions, in
    sending order."""
    rows = execute_in(session, _turns, session_ids)
    return [(row[0], row[1], row[2], row[3], row[4]) for row in rows]


def _turns(member: Membership) -> Select[int, int, Sender, datetime, int | None]:
    return (
        select(
            ChatMessage.id,
            ChatMessage.session_id,
            ChatMessage.sender,
            ChatMessage.sent_at,
            ChatMessage.response_seconds,
        )
        .where(member(ChatMessage.session_id))
        .order_by(ChatMessage.session_id, ChatMessage.sent_at, ChatMessage.id)
    )


class MetricInputs(NamedTuple):
    handed_over_at: datetime | None
    times_known: bool
    order_id: int | None


def metric_inputs(session: Session, session_ids: Sequence[int]) -> dict[int, MetricInputs]:
    """What the metrics and repeat flags of the sessions read from their rows (one query: three
    of one column each cost an ingest more than the metrics)."""
    rows = execute_in(session, _metric_inputs, session_ids)
    return {row[0]: MetricInputs(row[1], row[2], row[3]) for row in rows}


def _metric_inputs(member: Membership) -> Select[int, datetime | None, bool, int | None]:
    columns = (ChatSession.id, ChatSession.handed_over_at, ChatSession.times_known, ChatSession.order_id)
    return select(*columns).where(member(ChatSession.id))


def last_message_times(session: Session, keys: set[tuple[int, str]]) -> dict[tuple[int, str], datetime]:
    """When each existing session (shop id, session key) last had a message."""
    rows = session.execute(
        select(ChatSession.shop_id, ChatSession.session_key, ChatSession.ended_at).where(
            tuple_(ChatSession.shop_id, ChatSession.session_key).in_(list(keys))
        )
    )
    return {(shop_id, key): ended_at for shop_id, key, ended_at in rows}


def sessions_of_orders(session: Session, order_ids: list[int]) -> list[tuple[int, int, datetime, datetime]]:
    rows = session.execute(
        select(ChatSession.id, ChatSession.order_id, ChatSession.started_at, ChatSession.ended_at)
        .where(in_values(session, ChatSession.order_id, order_ids))
        .order_by(ChatSession.order_id, ChatSession.started_at, ChatSession.id)
    )
    return [(row[0], row[1] or 0, row[2], row[3]) for row in rows]


def messages_of(session: Session, session_id: int) -> list[ChatMessage]:
    return list(
        session.scalars(
            select(ChatMessage)
            .where(ChatMessage.session_id == session_id)
            .order_by(ChatMessage.sent_at, ChatMessage.id)
        )
    )


def session_search(
    *,
    shop_id: int | None = None,
    agent_id: int | None = None,
    order_id: int | None = None,
    handling: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    statement = select(ChatSession).order_by(ChatSession.started_at.desc(), ChatSession.id.desc())
    filters = {
        ChatSession.shop_id: shop_id,
        ChatSession.agent_id: agent_id,
        ChatSession.order_id: order_id,
        ChatSession.handling: handling,
    }
    for column, value in filters.items():
        if value is not None:
            statement = statement.where(column == value)
    if since is not None:
        statement = statement.where(ChatSession.started_at >= since)
    if until is not None:
        statement = statement.where(ChatSession.started_at < until)
    return statement


def customer_messages(
    session: Session, message_ids: Sequence[int]
) -> list[Row[int, int, str | None, int | None, str, datetime]]:
    """(id, shop, buyer account, order, text, time) of the buyers' messages among ``message_ids``."""
    return list(execute_in(session, _customer_messages, message_ids))


def _customer_messages(member: Membership) -> Select[int, int, str | None, int | None, str, datetime]:
    return (
        select(
            ChatMessage.id,
            ChatSession.shop_id,
            ChatSession.customer_account,
            ChatSession.order_id,
            ChatMessage.text,
            ChatMessage.sent_at,
        )
        .join(ChatSession, ChatSession.id == ChatMessage.session_id)
        .where(member(ChatMessage.id), ChatMessage.sender == Sender.CUSTOMER)
        .order_by(ChatMessage.sent_at, ChatMessage.id)
    )


def unlinked_accounts(session: Session, session_ids: Sequence[int]) -> set[tuple[Platform, str]]:
    """(platform, buyer account) of the sessions that know the account but not the customer yet."""
    rows = execute_in(session, _unlinked_accounts, session_ids)
    return {(platform, account) for platform, account in rows if account}


def _unlinked_accounts(member: Membership) -> Select[Platform, str | None]:
    return select(ChatSession.platform, ChatSession.customer_account).where(
        member(ChatSession.id), ChatSession.customer_id.is_(None), ChatSession.customer_account.is_not(None)
    )


def agent_messages(
    session: Session, message_ids: Sequence[int]
) -> list[Row[int, int, int, int | None, int | None, int | None, str, datetime]]:
    """(id, session, shop, agent, buyer, chat's order, text, time) of the agents' messages among
    ``message_ids``, oldest first; the agent is the message's, else the chat's first agent."""
    return list(execute_in(session, _agent_messages, message_ids))


def _agent_messages(
    member: Membership,
) -> Select[int, int, int, int | None, int | None, int | None, str, datetime]:
    return (
        select(
            ChatMessage.id,
            ChatMessage.session_id,
            ChatSession.shop_id,
            func.coalesce(ChatMessage.agent_id, ChatSession.agent_id),
            ChatSession.customer_id,
            ChatSession.order_id,
            ChatMessage.text,
            ChatMessage.sent_at,
        )
        .join(ChatSession, ChatSession.id == ChatMessage.session_id)
        .where(member(ChatMessage.id), ChatMessage.sender == Sender.AGENT)
        .order_by(ChatMessage.sent_at, ChatMessage.id)
    )


def order_sku_codes(session: Session, order_ids: Iterable[int]) -> set[tuple[int, str]]:
    """(order, SKU code) of the orders' lines."""
    wanted = sorted(set(order_ids))
    if not wanted:
        return set()
    rows = session.execute(
        select(OrderItem.order_id, OrderItem.sku_code).where(
            OrderItem.order_id.in_(wanted), OrderItem.sku_code.is_not(None)
        )
    )
    return {(order_id, code) for order_id, code in rows if code}
