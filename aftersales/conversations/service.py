"""Ingesting chat messages (one at a time in real time, or in bulk from exports) and session metrics.

Messages are keyed by session + source id (the platform's message id, or a hash of time, sender
and text), so a repeat delivery is a no-op. After new messages land, the touched sessions'
metrics are recomputed, the products agents recommended are recorded (``recommendations``) and
``MessagesAppended`` is published in the same transaction; quality inspection subscribes to it, so
inspection happens on ingest.
"""

import hashlib
import itertools
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, select, update
from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform
from aftersales.conversations import metrics, recommendations, repository
from aftersales.conversations.errors import ChatSessionNotFoundError, ShopPlatformMismatchError
from aftersales.conversations.events import MessagesAppended
from aftersales.conversations.models import ChatMessage, ChatSession, Sender
from aftersales.conversations.schemas import IngestResult, MessageIn
from aftersales.kit.errors import InvalidInputError
from aftersales.kit.events import CustomerMessage, CustomerMessagesArrived, publish
from aftersales.kit.memory import paused_collector
from aftersales.kit.time import as_utc, utcnow
from aftersales.kit.upsert import Membership, execute_in, in_values, insert_ignore, update_by_key, upsert
from aftersales.orders.models import Customer, Order

REPEAT_WINDOW = timedelta(hours=24)
UNTIMED_STEP = timedelta(seconds=1)
METRIC_COLUMNS = (
    "started_at ended_at first_customer_at first_response_seconds avg_response_seconds max_response_seconds "
    "responses customer_messages agent_messages bot_messages handling transferred_at"
).split()


def message_source_id(sender: str, sent_at: datetime, text: str) -> str:
    """Stable id for exports without message ids: the same line imported twice hashes the same."""
    raw = f"{sender}|{as_utc(sent_at).isoformat()}|{text}".encode()
    return "h:" + hashlib.sha256(raw).hexdigest()[:40]


def append_message(
    session: Session,
    *,
    shop_id: int,
    platform: str,
    session_key: str,
    sender: str,
    text: str,
    sent_at: datetime,
    agent_id: int | None = None,
    order_id: int | None = None,
    source_id: str | None = None,
    agent_account: str | None = None,
    customer_account: str | None = None,
) -> ChatMessage:
    """Add one message in real time (idempotent by ``source_id``); returns the stored row."""
    row = MessageIn(
        shop_id=shop_id,
        platform=Platform(platform),
        session_key=session_key,
        sender=Sender(sender),
        text=text,
        sent_at=sent_at,
        agent_id=agent_id,
        agent_account=agent_account,
        order_id=order_id,
        customer_account=customer_account,
        source_id=source_id,
    )
    ingest_messages(session, [row])
    key = row.source_id or message_source_id(row.sender, sent_at, row.text)
    message = session.scalar(
        select(ChatMessage)
        .join(ChatSession, ChatSession.id == ChatMessage.session_id)
        .where(
            ChatSession.shop_id == shop_id,
            ChatSession.session_key == session_key,
            ChatMessage.source_id == key,
        )
    )
    assert message is not None
    return message


def ingest_messages(session: Session, rows: Sequence[MessageIn]) -> IngestResult:
    """Store a batch of messages across any number of sessions in a few bulk statements, and
    inspect them (QC reacts to the event), with the cyclic collector paused: a batch's rows,
    features and findings are short-lived, and every collection they set off walked the whole
    process (the models, the segmenter's dictionary), a quarter of the batch's time."""
    with paused_collector():
        return _ingest_messages(session, rows)


def _ingest_messages(session: Session, rows: Sequence[MessageIn]) -> IngestResult:
    if not rows:
        return IngestResult(received=0, created=0, sessions=0)
    _check_shops(session, rows)
    rows, untimed = _place_untimed(session, rows)
    session_ids = _upsert_sessions(session, rows)
    if untimed:
        session.execute(
            update(ChatSession)
            .where(in_values(session, ChatSession.id, [session_ids[k] for k in untimed]))
            .values(times_known=False)
        )
    new_ids = _insert_messages(session, rows, session_ids)
    touched = sorted(set(session_ids.values()))
    _link_customers(session, touched)
    refresh_sessions(session, touched)
    if new_ids:
        recommendations.detect(session, new_ids, shop_ids={row.shop_id for row in rows})
        publish(session, MessagesAppended(session_ids=tuple(touched), message_ids=tuple(new_ids)))
        if any(row.sender is Sender.CUSTOMER for row in rows):  # else no new message is a buyer's
            _publish_customer_messages(session, new_ids)
    return IngestResult(received=len(rows), created=len(new_ids), sessions=len(touched))


def _place_untimed(
    session: Session, rows: Sequence[MessageIn]
) -> tuple[list[MessageIn], set[tuple[int, str]]]:
    """Messages without a time go after their session's last message (stored, or earlier in the
    batch), a second apart in the order given; returns the rows and the sessions that had such
    messages (their times are placeholders, so response times are not computed)."""
    untimed = {(row.shop_id, row.session_key) for row in rows if row.sent_at is None}
    if not untimed:
        return list(rows), set()
    last = repository.last_message_times(session, untimed)
    start = utcnow().replace(microsecond=0) - UNTIMED_STEP
    placed = []
    for row in rows:
        key = (row.shop_id, row.session_key)
        if row.sent_at is None:
            row = row.model_copy(update={"sent_at": last.get(key, start) + UNTIMED_STEP})
        if key in untimed:
            last[key] = max(last.get(key, start), _sent(row))
        placed.append(row)
    return placed, untimed


def _sent(row: MessageIn) -> datetime:
    """The time of a placed row (``_place_untimed`` has given every row one)."""
    assert row.sent_at is not None
    return row.sent_at


def _publish_customer_messages(session: Session, message_ids: list[int]) -> None:
    """What the buyers said, for domains that react to it (logistics reads care replies from it)."""
    found = repository.customer_messages(session, message_ids)
    messages = tuple(
        CustomerMessage(
            message_id=message_id,
            shop_id=shop_id,
            customer_account=account,
            order_id=order_id,
            text=text,
            sent_at=as_utc(sent_at),
        )
        for message_id, shop_id, account, order_id, text, sent_at in found
    )
    if messages:
        publish(session, CustomerMessagesArrived(messages=messages))


def _check_shops(session: Session, rows: Sequence[MessageIn]) -> None:
    shops = repository.shops(session, {row.shop_id for row in rows})
    for row in rows:
        shop = shops.get(row.shop_id)
        if shop is None:
            raise InvalidInputError("shop_id", f"店铺 {row.shop_id} 不存在")
        if shop.platform != row.platform and {shop.platform, row.platform} != {
            Platform.TAOBAO,
            Platform.TMALL,
        }:
            raise ShopPlatformMismatchError(shop.name, row.platform.label)


def _upsert_sessions(session: Session, rows: Sequence[MessageIn]) -> dict[tuple[int, str], int]:
    """Create missing sessions; fill in order, customer and first agent when a later message knows them."""
    firsts: dict[tuple[int, str], MessageIn] = {}
    extras: dict[tuple[int, str], dict[str, Any]] = defaultdict(dict)
    for row in sorted(rows, key=_sent):
        key = (row.shop_id, row.session_key)
        firsts.setdefault(key, row)
        for column in ("order_id", "customer_account"):
            if getattr(row, column) is not None:
                extras[key].setdefault(column, getattr(row, column))
        if row.sender is Sender.AGENT and row.agent_id is not None:
            extras[key].setdefault("agent_id", row.agent_id)
    now = utcnow()
    insert_ignore(  # in key order, so two batches creating the same chats wait in the same order
        session,
        ChatSession,
        [_new_session(firsts[key], extras[key], now) for key in sorted(firsts)],
        conflict_columns=["shop_id", "session_key"],
    )
    ids = repository.session_ids(session, list(firsts))
    order_ids = {values["order_id"] for values in extras.values() if "order_id" in values}
    repository.lock_sessions(session, sorted(ids.values()), order_ids)
    for key, values in extras.items():
        _fill_missing(session, ids[key], values)
    return ids


def _new_session(first: MessageIn, extra: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {
        "shop_id": first.shop_id,
        "platform": first.platform,
        "session_key": first.session_key,
        "started_at": _sent(first),
        "ended_at": _sent(first),
        "responses": 0,
        "customer_messages": 0,
        "agent_messages": 0,
        "bot_messages": 0,
        "handling": "unanswered",
        "repeat_contact": False,
        "times_known": True,
        "created_at": now,
        "updated_at": now,
        "order_id": None,
        "customer_account": None,
        "agent_id": None,
        **extra,
    }


def _fill_missing(session: Session, session_id: int, values: dict[str, Any]) -> None:
    for column, value in values.items():
        attribute = getattr(ChatSession, column)
        session.execute(
            update(ChatSession)
            .where(ChatSession.id == session_id, attribute.is_(None))
            .values({column: value})
        )


def _link_customers(session: Session, session_ids: list[int]) -> None:
    """Fill each session's buyer once: its order's customer, else the customer of its platform account
    (the buyer nick, created as a customer when not seen before), so funnels can reach the buyer."""
    execute_in(session, _link_by_order, session_ids)
    accounts = repository.unlinked_accounts(session, session_ids)
    if not accounts:
        return
    now = utcnow()
    insert_ignore(
        session,
        Customer,
        [{"platform": p, "source_id": a, "is_vip": False, "created_at": now} for p, a in accounts],
        conflict_columns=["platform", "source_id"],
    )
    execute_in(session, _link_by_account, session_ids)


def _link_by_order(member: Membership) -> Update:
    """Sessions without a buyer get their order's (built once: every ingest runs it)."""
    of_order = select(Order.customer_id).where(Order.id == ChatSession.order_id).scalar_subquery()
    return (
        update(ChatSession)
        .where(member(ChatSession.id), ChatSession.customer_id.is_(None), ChatSession.order_id.is_not(None))
        .values(customer_id=of_order)
        .execution_options(synchronize_session=False)
    )


def _link_by_account(member: Membership) -> Update:
    """Sessions still without a buyer get the customer of their platform account."""
    of_account = (
        select(Customer.id)
        .where(Customer.platform == ChatSession.platform, Customer.source_id == ChatSession.customer_account)
        .scalar_subquery()
    )
    return (
        update(ChatSession)
        .where(
            member(ChatSession.id),
            ChatSession.customer_id.is_(None),
            ChatSession.customer_account.is_not(None),
        )
        .values(customer_id=of_account)
        .execution_options(synchronize_session=False)
    )


def _insert_messages(
    session: Session, rows: Sequence[MessageIn], session_ids: dict[tuple[int, str], int]
) -> list[int]:
    """Insert unseen messages; returns the ids of those that are new (one statement: the
    lookups of the keys before and of the new ids after cost as much as the insert)."""
    records = {}
    for row in rows:
        session_id = session_ids[(row.shop_id, row.session_key)]
        source_id = row.source_id or message_source_id(row.sender, _sent(row), row.text)
        records[(session_id, source_id)] = {
            "session_id": session_id,
            "source_id": source_id,
            "sender": row.sender,
            "text": row.text,
            "sent_at": row.sent_at,
            "agent_id": row.agent_id,
            "agent_account": row.agent_account,
        }
    inserted = upsert(  # a conflicting row is not inserted, so not returned: the rest are new
        session,
        ChatMessage,
        list(records.values()),
        conflict_columns=["session_id", "source_id"],
        update_columns=(),
        returning=["id"],
    )
    return sorted(message_id for (message_id,) in inserted)


def refresh_sessions(session: Session, session_ids: Sequence[int]) -> None:
    """Recompute response-time metrics and repeat contacts of the given sessions from their messages."""
    by_session: dict[int, list[tuple[int, Sender, datetime]]] = defaultdict(list)
    stored: dict[int, int | None] = {}
    for message_id, session_id, sender, sent_at, seconds in repository.turns(session, session_ids):
        by_session[session_id].append((message_id, sender, sent_at))
        stored[message_id] = seconds
    replies: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    now = utcnow()
    inputs = repository.metric_inputs(session, session_ids)
    for session_id, turns in by_session.items():
        known = inputs.get(session_id)
        session_row, reply_rows = _metrics_rows(
            session_id,
            turns,
            now,
            known.handed_over_at if known else None,
            timed=known is None or known.times_known is not False,
        )
        sessions.append(session_row)
        replies += reply_rows
    # a reply's wait, once known, rarely changes: only the changed ones are written
    update_by_key(session, ChatMessage, [r for r in replies if stored[r["id"]] != r["response_seconds"]])
    update_by_key(session, ChatSession, sessions)
    order_ids = sorted({known.order_id for known in inputs.values() if known.order_id is not None})
    if order_ids:
        _mark_repeat_contacts(session, order_ids)
    _expire_loaded(session, set(session_ids))


def _expire_loaded(session: Session, session_ids: set[int]) -> None:
    """Bulk updates by primary key bypass the identity map: reload rows a caller already holds."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, ChatSession) and obj.id in session_ids:
            session.expire(obj)
        elif isinstance(obj, ChatMessage) and obj.session_id in session_ids:
            session.expire(obj)


def _metrics_rows(
    session_id: int,
    turns: list[tuple[int, Sender, datetime]],
    now: datetime,
    handed_over_at: datetime | None,
    *,
    timed: bool,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The session's metric columns and each agent reply's wait, as rows for bulk updates by id."""
    turn_rows = [metrics.Turn(sender, sent_at) for _id, sender, sent_at in turns]
    result = metrics.compute(turn_rows, handed_over_at, timed=timed)
    replies = [
        {"id": message_id, "response_seconds": seconds}
        for (message_id, sender, _at), seconds in zip(turns, result.reply_seconds, strict=True)
        if sender is Sender.AGENT
    ]
    row = {"id": session_id, "updated_at": now, **{name: getattr(result, name) for name in METRIC_COLUMNS}}
    return row, replies


def _mark_repeat_contacts(session: Session, order_ids: list[int]) -> None:
    """A session is a repeat contact when the customer comes back about the same order within 24 h."""
    by_order: dict[int, list[tuple[int, datetime, datetime]]] = defaultdict(list)
    for session_id, order_id, started_at, ended_at in repository.sessions_of_orders(session, order_ids):
        by_order[order_id].append((session_id, started_at, ended_at))
    changes: list[dict[str, Any]] = []
    for sessions in by_order.values():
        changes += _repeat_changes(sessions)
    update_by_key(session, ChatSession, changes)


def _repeat_changes(sessions: list[tuple[int, datetime, datetime]]) -> list[dict[str, Any]]:
    """Flag and back-link of one order's sessions (in start order): both only within the 24 h window."""
    repeats: dict[int, int | None] = {session_id: None for session_id, _started, _ended in sessions}
    flagged: set[int] = set()
    for (earlier, _started, ended), (later, started, _ended) in itertools.pairwise(sessions):
        if started - ended <= REPEAT_WINDOW:
            flagged.add(earlier)
            repeats[later] = earlier
    return [
        {
            "id": session_id,
            "repeat_contact": session_id in flagged,
            "repeat_of_session_id": repeats[session_id],
        }
        for session_id in repeats
    ]


def get_session(session: Session, session_id: int) -> ChatSession:
    chat = session.get(ChatSession, session_id)
    if chat is None:
        raise ChatSessionNotFoundError(session_id)
    return chat


def mark_handed_over(session: Session, *, shop_id: int, session_key: str, at: datetime) -> ChatSession:
    """The bot passed the customer to a person: the session counts as transferred (转人工) from
    ``at`` on, so QC and analytics no longer count it as a bot-only reception."""
    chat = session.scalar(
        select(ChatSession).where(ChatSession.shop_id == shop_id, ChatSession.session_key == session_key)
    )
    if chat is None:
        raise ChatSessionNotFoundError(session_key)
    chat.handed_over_at = chat.handed_over_at or at
    session.flush()
    refresh_sessions(session, [chat.id])
    publish(session, MessagesAppended(session_ids=(chat.id,), message_ids=()))
    return chat


def link_ticket(session: Session, *, session_id: int, ticket_id: int) -> ChatSession:
    """Remember which ticket came out of this conversation (QC checks that one exists when needed)."""
    chat = get_session(session, session_id)
    chat.ticket_id = ticket_id
    session.flush()
    publish(session, MessagesAppended(session_ids=(session_id,), message_ids=()))
    return chat
