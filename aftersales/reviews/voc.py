"""VOC from reviews joined with the QC VOC of chats: one topic vocabulary, counts per SKU over time.

The QC domain counts topics customers raise in chats (``qc_voc_mentions``, its own dictionary in
``qc.voc``); reviews count praised and complained-about topics (``review_topics``). Review topics
are renamed into the QC vocabulary where one exists, so a department reading the board sees
"屏幕" once, with what chats and reviews each say about it.
"""

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Sku
from aftersales.reviews import repository

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
