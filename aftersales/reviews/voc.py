"""VOC from reviews joined with the QC VOC of chats: one topic vocabulary, counts per SKU over time.

The QC domain counts topics customers raise in chats (``qc_voc_mentions``, its own dictionary in
``qc.voc``); reviews count praised and complained-about topics (``review_topics``). Review topics
are renamed into the QC vocabulary where one exists, so a department reading the board sees
"屏幕" once, with what chats and reviews each say about it.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Sku
from aftersales.kit.time import local_day_bounds, to_local
from aftersales.reviews import repository
from aftersales.reviews.tickets_link import tickets_service

# review topic -> QC VOC topic (qc.voc.TOPICS); topics without an equivalent keep their own name
TO_QC_TOPIC = {
    "质量": "质量做工",
    "画质": "屏幕",
    "续航": "电池续航",
    "少件": "少件漏发",
    "破损": "包装破损",
    "包装": "包装破损",
    "尺寸": "尺码",
    "描述不符": "描述不符",
    "安装使用": "安装使用",
    "气味": "气味",
    "性能": "性能",
}


def board(
    session: Session,
    *,
    shop_id: int | None = None,
    sku_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    by_day: bool = False,
) -> list[dict[str, Any]]:
    """Rows of (SKU, topic[, day]) with chat mentions, review complaints and review praise, worst first."""
    rows: dict[tuple[Any, ...], dict[str, Any]] = defaultdict(
        lambda: {"chat_mentions": 0, "review_complaints": 0, "review_praise": 0}
    )
    reviews = repository.voc_counts(
        session, shop_id=shop_id, sku_id=sku_id, since=since, until=until, by_day=by_day
    )
    for record in reviews:
        sku, code, topic, polarity = record[:4]
        key = (sku, code, TO_QC_TOPIC.get(topic, topic), *(record[4:5] if by_day else ()))
        rows[key]["review_complaints" if polarity == "negative" else "review_praise"] += int(record[-1])
    for sku, code, topic, *rest in _chat_mentions(session, shop_id, sku_id, since, until, by_day):
        rows[(sku, code, topic, *rest[:-1])]["chat_mentions"] += int(rest[-1])
    result = [
        {"sku_id": k[0], "sku_code": k[1], "topic": k[2], "day": k[3] if by_day else None, **counts}
        for k, counts in rows.items()
    ]
    return sorted(result, key=lambda r: (-(r["chat_mentions"] + r["review_complaints"]), r["topic"]))


def _chat_mentions(
    session: Session,
    shop_id: int | None,
    sku_id: int | None,
    since: datetime | None,
    until: datetime | None,
    by_day: bool,
) -> list[tuple[Any, ...]]:
    """QC's chat VOC, read only; empty when the QC tables are not installed."""
    try:
        from aftersales.qc.models import VocMention
    except ImportError:
        return []
    columns: list[Any] = [VocMention.sku_id, Sku.code, VocMention.topic]
    if by_day:
        columns.append(repository.local_day(session, VocMention.mentioned_at))
    statement = select(*columns, func.count()).outerjoin(Sku, Sku.id == VocMention.sku_id)
    if shop_id is not None:
        statement = statement.where(VocMention.shop_id == shop_id)
    if sku_id is not None:
        statement = statement.where(VocMention.sku_id == sku_id)
    if since is not None:
        statement = statement.where(VocMention.mentioned_at >= since)
    if until is not None:
        statement = statement.where(VocMention.mentioned_at < until)
    return [tuple(row) for row in session.execute(statement.group_by(*columns))]


FEEDBACK_DEPARTMENT = "product"
FEEDBACK_MIN_COUNT = 3
"""Chat mentions plus review complaints of one SKU and topic in a week before the department hears of it."""
FEEDBACK_SOURCE = "voc"


def week_of(at: datetime) -> tuple[str, datetime, datetime]:
    """The Shanghai ISO week holding ``at``: its name (2026-W48) and its UTC bounds."""
    day = to_local(at).date()  # type: ignore[union-attr]
    monday = day - timedelta(days=day.weekday())
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}", local_day_bounds(monday)[0], local_day_bounds(monday + timedelta(days=6))[1]


def feed_department(session: Session, *, now: datetime) -> int:
    """Last week (now settled) and this week so far: every SKU topic customers raised at least
    ``FEEDBACK_MIN_COUNT`` times becomes one feedback item to the product department, refreshed with
    the new counts on every run, never duplicated (one system ticket per SKU, topic and week carries
    it, so the department's answer lands on a timeline). Returns how many items were written."""
    written = 0
    for at in (now - timedelta(days=7), now):
        week, start, end = week_of(at)
        problems = _weekly_problems(board(session, since=start, until=min(end, now), by_day=True))
        skus = {
            sku.id: sku for sku in session.scalars(select(Sku).where(Sku.id.in_({k[0] for k in problems})))
        }
        for (sku_id, topic), days in problems.items():
            _feed_one(session, skus[sku_id], topic, week, days)
            written += 1
    return written


def _weekly_problems(rows: list[dict[str, Any]]) -> dict[tuple[int, str], dict[str, tuple[int, int]]]:
    """(SKU, topic) -> {day: (chat mentions, review complaints)} of the topics over the threshold."""
    days: dict[tuple[int, str], dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in rows:
        if row["sku_id"] is not None and row["chat_mentions"] + row["review_complaints"]:
            days[(row["sku_id"], row["topic"])][row["day"]] = (row["chat_mentions"], row["review_complaints"])
    return {
        key: dict(sorted(per_day.items()))
        for key, per_day in days.items()
        if sum(chat + review for chat, review in per_day.values()) >= FEEDBACK_MIN_COUNT
    }


def _feed_one(session: Session, sku: Sku, topic: str, week: str, days: dict[str, tuple[int, int]]) -> None:
    from aftersales.tickets.feedback import upsert_feedback

    content = feedback_text(sku, topic, week, days)
    ticket, _created = tickets_service().open_system_ticket(
        session,
        source=FEEDBACK_SOURCE,
        source_key=f"voc:{sku.id}:{topic}:{week}",
        shop_id=sku.shop_id,
        type="suggestion",
        category="商品问题",
        title=f"VOC {week} {sku.name}「{topic}」",
        description=content,
        severity="low",
        group_code=FEEDBACK_DEPARTMENT,
        data={"sku_id": sku.id, "topic": topic, "week": week},
    )
    upsert_feedback(
        session, ticket_id=ticket.id, department=FEEDBACK_DEPARTMENT, content=content, sku_code=sku.code
    )


def feedback_text(sku: Sku, topic: str, week: str, days: dict[str, tuple[int, int]]) -> str:
    """What the department reads: totals of the week, then the count of each day (chats + reviews)."""
    chats = sum(chat for chat, _review in days.values())
    reviews = sum(review for _chat, review in days.values())
    daily = ", ".join(f"{day[5:]} {chat + review}" for day, (chat, review) in days.items())
    return (
        f"VOC {week}: {sku.name}({sku.code})「{topic}」顾客反映 {chats + reviews} 次"
        f"(咨询提及 {chats} 次,差评/中评 {reviews} 次)。每日: {daily}"
    )
