"""Every query of the QC domain: inspection inputs, lists and the aggregates of the dashboard."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Sku
from aftersales.conversations.models import ChatMessage, ChatSession
from aftersales.db import is_postgres
from aftersales.kit.upsert import Membership, execute_in, in_values
from aftersales.orders.models import OrderItem
from aftersales.qc.checkpoints import MessageView
from aftersales.qc.models import (
    AlertStatus,
    Area,
    QcAlert,
    QcCheckpointSetting,
    QcFinding,
    QcMessageAnalysis,
    QcOverrule,
    QcSessionResult,
    VocMention,
)


def sessions(session: Session, session_ids: Sequence[int]) -> list[ChatSession]:
    if not session_ids:
        return []
    return list(execute_in(session, _sessions, session_ids).scalars())


def _sessions(member: Membership) -> Select[ChatSession]:
    return select(ChatSession).where(member(ChatSession.id)).order_by(ChatSession.id)


def message_views(session: Session, session_id: int) -> list[MessageView]:
    return message_views_for(session, [session_id]).get(session_id, [])


def message_views_for(session: Session, session_ids: Sequence[int]) -> dict[int, list[MessageView]]:
    """Every message of the sessions with its analysis, per session in sending order (one query)."""
    views: dict[int, list[MessageView]] = {sid: [] for sid in session_ids}
    return _message_views(execute_in(session, _views_of_sessions, session_ids), views)


def message_views_of(session: Session, message_ids: Sequence[int]) -> dict[int, list[MessageView]]:
    """``message_views_for`` the sessions of the given messages."""
    return _message_views(execute_in(session, _views_of_messages, message_ids), {})


def _views_of_sessions(member: Membership) -> Select[*tuple[Any, ...]]:
    return _views_where(member(ChatMessage.session_id))


def _views_of_messages(member: Membership) -> Select[*tuple[Any, ...]]:
    of_messages = select(ChatMessage.session_id).where(member(ChatMessage.id))
    return _views_where(ChatMessage.session_id.in_(of_messages.distinct()))


def _views_where(sessions: Any) -> Select[*tuple[Any, ...]]:
    return (
        select(
            ChatMessage.session_id,
            ChatMessage.id,
            ChatMessage.sender,
            ChatMessage.text,
            ChatMessage.sent_at,
            ChatMessage.response_seconds,
            QcMessageAnalysis.polarity,
            QcMessageAnalysis.label,
            QcMessageAnalysis.risks,
        )
        .outerjoin(QcMessageAnalysis, QcMessageAnalysis.message_id == ChatMessage.id)
        .where(sessions)
        .order_by(ChatMessage.session_id, ChatMessage.sent_at, ChatMessage.id)
    )


def _message_views(rows: Any, views: dict[int, list[MessageView]]) -> dict[int, list[MessageView]]:
    # columns, not entities: an import inspects thousands of messages, and an ORM object each
    # (identity map, state) cost as much as the checkpoints
    for session_id, message_id, sender, text, sent_at, response, polarity, label, risks in rows:
        views.setdefault(session_id, []).append(
            MessageView(message_id, sender.value, text, sent_at, response, polarity, label, list(risks or []))
        )
    return views


def orders_with_tickets(session: Session, order_ids: set[int]) -> set[int]:
    """Which of the orders have a ticket (tickets domain), in one query."""
    if not order_ids:
        return set()
    from aftersales.tickets.models import Ticket

    return set(
        session.scalars(
            select(Ticket.order_id).where(in_values(session, Ticket.order_id, order_ids)).distinct()
        )
    )


def return_days_for(session: Session, order_ids: set[int]) -> dict[int, int]:
    """The shortest no-reason return window among each order's SKUs."""
    if not order_ids:
        return {}
    rows = session.execute(
        select(OrderItem.order_id, func.min(Sku.no_reason_return_days))
        .join(Sku, Sku.id == OrderItem.sku_id)
        .where(in_values(session, OrderItem.order_id, order_ids))
        .group_by(OrderItem.order_id)
    )
    return {order_id: days for order_id, days in rows if days is not None}


def voc_topics_for(session: Session, session_ids: Sequence[int]) -> dict[int, list[str]]:
    rows = execute_in(session, _voc_topics, session_ids)
    topics: dict[int, list[str]] = {}
    for session_id, topic in rows:
        topics.setdefault(session_id, []).append(topic)
    return topics


def _voc_topics(member: Membership) -> Select[int, str]:
    return (
        select(VocMention.session_id, VocMention.topic)
        .where(member(VocMention.session_id))
        .distinct()
        .order_by(VocMention.session_id, VocMention.topic)
    )


class FindingRow(NamedTuple):
    """What a re-inspection reads of a stored finding (columns: the ORM objects of a dozen
    findings per chat, loaded, changed and flushed, cost a lone message more than its checkpoints)."""

    id: int
    code: str
    area: Area
    weight: int
    auto_passed: bool | None
    final_passed: bool | None
    message_id: int | None
    evidence: str | None
    detail: str
    overruled: bool


def findings_for(session: Session, session_ids: Sequence[int]) -> dict[int, dict[str, FindingRow]]:
    found: dict[int, dict[str, FindingRow]] = {sid: {} for sid in session_ids}
    for session_id, *columns in execute_in(session, _findings, session_ids):
        finding = FindingRow(*columns)
        found[session_id][finding.code] = finding
    return found


def _findings(member: Membership) -> Select[*tuple[Any, ...]]:
    columns = [QcFinding.session_id, *(getattr(QcFinding, name) for name in FindingRow._fields)]
    return select(*columns).where(member(QcFinding.session_id))


def has_ticket(session: Session, chat: ChatSession) -> bool:
    """A ticket linked to the session, or any ticket on its order (tickets domain)."""
    if chat.ticket_id is not None:
        return True
    if chat.order_id is None:
        return False
    from aftersales.tickets.models import Ticket

    return (
        session.scalar(select(func.count()).select_from(Ticket).where(Ticket.order_id == chat.order_id)) != 0
    )


def no_reason_return_days(session: Session, order_id: int | None) -> int | None:
    """The shortest no-reason return window among the order's SKUs (None when unknown)."""
    if order_id is None:
        return None
    return session.scalar(
        select(func.min(Sku.no_reason_return_days))
        .join(OrderItem, OrderItem.sku_id == Sku.id)
        .where(OrderItem.order_id == order_id)
    )


def voc_topics(session: Session, session_id: int) -> list[str]:
    return list(
        session.scalars(
            select(VocMention.topic)
            .where(VocMention.session_id == session_id)
            .distinct()
            .order_by(VocMention.topic)
        )
    )


def voc_context(session: Session, session_ids: set[int]) -> dict[int, tuple[int, list[tuple[int, str]]]]:
    """Per session: its shop and the SKUs of its order in line order."""
    owners = select(ChatSession.id, ChatSession.shop_id).where(
        in_values(session, ChatSession.id, session_ids)
    )
    shops: dict[int, int] = {}
    for session_id, shop_id in session.execute(owners):
        shops[session_id] = shop_id
    skus: dict[int, list[tuple[int, str]]] = {sid: [] for sid in session_ids}
    rows = session.execute(
        select(ChatSession.id, Sku.id, Sku.name)
        .join(OrderItem, OrderItem.order_id == ChatSession.order_id)
        .join(Sku, Sku.id == OrderItem.sku_id)
        .where(in_values(session, ChatSession.id, session_ids))
        .order_by(ChatSession.id, OrderItem.line_no)
    )
    for session_id, sku_id, name in rows:
        skus[session_id].append((sku_id, name))
    return {sid: (shops[sid], skus[sid]) for sid in session_ids}


def alerts_of(session: Session, session_ids: Sequence[int]) -> dict[int, QcAlert]:
    """The sessions' alerts (one per session at most), by session."""
    if not session_ids:
        return {}
    return {alert.session_id: alert for alert in execute_in(session, _alerts, session_ids).scalars()}


def _alerts(member: Membership) -> Select[QcAlert]:
    return select(QcAlert).where(member(QcAlert.session_id))


def findings_of(session: Session, session_id: int) -> list[QcFinding]:
    return list(
        session.scalars(select(QcFinding).where(QcFinding.session_id == session_id).order_by(QcFinding.id))
    )


def session_list(
    *,
    shop_id: int | None = None,
    agent_id: int | None = None,
    emotion: str | None = None,
    risk_level: str | None = None,
    passed: bool | None = None,
    max_score: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select[Any]:
    """Sessions with their inspection, newest first, filtered the way the console filters."""
    statement: Select[Any] = cast(
        Select[Any],
        select(ChatSession, QcSessionResult)
        .outerjoin(QcSessionResult, QcSessionResult.session_id == ChatSession.id)
        .order_by(ChatSession.started_at.desc(), ChatSession.id.desc()),
    )
    conditions = []
    if shop_id is not None:
        conditions.append(ChatSession.shop_id == shop_id)
    if agent_id is not None:
        conditions.append(ChatSession.agent_id == agent_id)
    if emotion in ("positive", "negative", "neutral"):
        conditions.append(QcSessionResult.emotion_polarity == emotion)
    elif emotion:
        conditions.append(QcSessionResult.emotion_label == emotion)
    if risk_level == "any":
        conditions.append(QcSessionResult.risk_level.is_not(None))
    elif risk_level:
        conditions.append(QcSessionResult.risk_level == risk_level)
    if passed is not None:
        conditions.append(QcSessionResult.passed.is_(passed))
    if max_score is not None:
        conditions.append(QcSessionResult.score <= max_score)
    if since is not None:
        conditions.append(ChatSession.started_at >= since)
    if until is not None:
        conditions.append(ChatSession.started_at < until)
    return statement.where(and_(*conditions)) if conditions else statement


def alert_list(
    *, status: str | None = None, level: str | None = None, shop_id: int | None = None
) -> Select[Any]:
    statement = select(QcAlert).order_by(QcAlert.raised_at.desc(), QcAlert.id.desc())
    if status == "active":
        statement = statement.where(QcAlert.status != AlertStatus.CLOSED)
    elif status:
        statement = statement.where(QcAlert.status == status)
    if level:
        statement = statement.where(QcAlert.level == level)
    if shop_id is not None:
        statement = statement.where(QcAlert.shop_id == shop_id)
    return statement


def local_day(session: Session, column: Any) -> Any:
    """The Asia/Shanghai calendar day of a UTC column, computed in the database."""
    if is_postgres(session):
        return func.date(func.timezone("Asia/Shanghai", column))
    return func.date(column, "+8 hours")


def _period(column: Any, since: datetime | None, until: datetime | None) -> list[Any]:
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def dimension(by: str) -> Any:
    """The column a summary groups by: platform, shop, agent, or the agent's shift group (班组)."""
    from aftersales.tickets.models import Shift

    columns = {
        "platform": QcSessionResult.platform,
        "shop": QcSessionResult.shop_id,
        "agent": QcSessionResult.agent_id,
        "group": func.coalesce(Shift.name, "未排班"),
    }
    return columns[by]


def _by_dimension(statement: Select[Any]) -> Select[Any]:
    """Join the agent's roster entry and shift so that ``dimension("group")`` can be grouped on."""
    from aftersales.tickets.models import RosterEntry, Shift

    return statement.outerjoin(RosterEntry, RosterEntry.user_id == QcSessionResult.agent_id).outerjoin(
        Shift, Shift.id == RosterEntry.shift_id
    )


def score_summary(
    session: Session, *, dimension: Any, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Sessions, average score, pass rate, negative share and risky sessions per value of ``dimension``."""
    r = QcSessionResult
    statement = select(
        dimension.label("key"),
        func.count().label("sessions"),
        func.avg(r.score).label("avg_score"),
        func.sum(case((r.passed.is_(True), 1), else_=0)).label("passed"),
        func.sum(case((r.emotion_polarity == "negative", 1), else_=0)).label("negative"),
        func.sum(case((r.emotion_polarity == "positive", 1), else_=0)).label("positive"),
        func.sum(case((r.risk_level.is_not(None), 1), else_=0)).label("risky"),
    ).select_from(r)
    rows = session.execute(
        _by_dimension(statement)
        .where(*_period(r.started_at, since, until))
        .group_by(dimension)
        .order_by(func.count().desc())
    )
    return [
        {
            "key": row.key,
            "sessions": row.sessions,
            "avg_score": round(float(row.avg_score or 0), 1),
            "pass_rate": round(row.passed / row.sessions, 4) if row.sessions else 0.0,
            "negative_share": round(row.negative / row.sessions, 4) if row.sessions else 0.0,
            "positive_share": round(row.positive / row.sessions, 4) if row.sessions else 0.0,
            "risky_sessions": row.risky,
        }
        for row in rows
    ]


def top_failed_checkpoints(
    session: Session,
    *,
    dimension: Any,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 10,
) -> list[dict[str, Any]]:
    """The most failed scored checkpoints of each value of ``dimension`` (at most ``limit`` each).

    Sessions are dated by their start; ranking happens in the database (a window per value)."""
    count = func.count()
    rank = func.row_number().over(partition_by=dimension, order_by=(count.desc(), QcFinding.code))
    statement = select(dimension.label("key"), QcFinding.code, count.label("failed"), rank.label("rank"))
    ranked = (
        _by_dimension(statement.select_from(QcFinding).join(QcSessionResult, _same_session(QcFinding)))
        .where(
            QcFinding.final_passed.is_(False),
            QcFinding.weight > 0,
            *_period(QcSessionResult.started_at, since, until),
        )
        .group_by(dimension, QcFinding.code)
        .subquery()
    )
    rows = session.execute(
        select(ranked.c.key, ranked.c.code, ranked.c.failed)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.key, ranked.c.rank)
    )
    return [{"key": key, "code": code, "failed": failed} for key, code, failed in rows]


def _same_session(table: Any) -> Any:
    return QcSessionResult.session_id == table.session_id


def emotion_shares(
    session: Session, *, dimension: Any, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Customer messages per value of ``dimension``, polarity and label (message level, as seed 001's
    情绪分析), dated by when the message was sent."""
    a = QcMessageAnalysis
    statement = select(dimension.label("key"), a.polarity, a.label, func.count().label("messages"))
    rows = session.execute(
        _by_dimension(
            statement.select_from(a)
            .join(ChatMessage, ChatMessage.id == a.message_id)
            .join(QcSessionResult, _same_session(a))
        )
        .where(*_period(ChatMessage.sent_at, since, until))
        .group_by(dimension, a.polarity, a.label)
        .order_by(dimension, func.count().desc(), a.label)
    )
    return [
        {"key": key, "polarity": polarity, "label": label, "messages": messages}
        for key, polarity, label, messages in rows
    ]


def risk_counts(
    session: Session, *, dimension: Any, since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Alerts per value of ``dimension`` and level, raised (in the period) and closed since
    (completion rate = closed / raised)."""
    closed = func.sum(case((QcAlert.status == AlertStatus.CLOSED, 1), else_=0))
    statement = select(dimension.label("key"), QcAlert.level, func.count(), closed)
    rows = session.execute(
        _by_dimension(statement.select_from(QcAlert).join(QcSessionResult, _same_session(QcAlert)))
        .where(*_period(QcAlert.raised_at, since, until))
        .group_by(dimension, QcAlert.level)
        .order_by(dimension, QcAlert.level)
    )
    return [
        {"key": key, "level": level, "raised": raised, "closed": int(done or 0)}
        for key, level, raised, done in rows
    ]


def voc_by_sku(
    session: Session,
    *,
    shop_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """Mentions per SKU and topic with the most used keyword (ties: by keyword), most
    mentioned first."""
    conditions = _period(VocMention.mentioned_at, since, until)
    if shop_id is not None:
        conditions.append(VocMention.shop_id == shop_id)
    rows = session.execute(
        select(VocMention.sku_id, Sku.code, Sku.name, VocMention.topic, func.count())
        .outerjoin(Sku, Sku.id == VocMention.sku_id)
        .where(*conditions)
        .group_by(VocMention.sku_id, Sku.code, Sku.name, VocMention.topic)
        .order_by(func.count().desc(), VocMention.topic)
        .limit(limit)
    ).all()
    keywords = _top_keywords(session, conditions, {(row[0], row[3]) for row in rows})
    return [
        {
            "sku_id": sku_id,
            "sku_code": code,
            "sku_name": name,
            "topic": topic,
            "mentions": count,
            "keyword": keywords.get((sku_id, topic)),
        }
        for sku_id, code, name, topic, count in rows
    ]


def _top_keywords(
    session: Session, conditions: list[Any], pairs: set[tuple[int | None, str]]
) -> dict[tuple[int | None, str], str]:
    """The most frequent keyword of each (SKU, topic), from one grouped query."""
    if not pairs:
        return {}
    counted = session.execute(
        select(VocMention.sku_id, VocMention.topic, VocMention.keyword, func.count())
        .where(*conditions, VocMention.topic.in_({topic for _sku, topic in pairs}))
        .group_by(VocMention.sku_id, VocMention.topic, VocMention.keyword)
        .order_by(func.count().desc(), VocMention.keyword)
    )
    best: dict[tuple[int | None, str], str] = {}
    for sku_id, topic, keyword, _count in counted:
        best.setdefault((sku_id, topic), keyword)
    return best


def voc_daily(
    session: Session, *, sku_id: int, since: datetime | None = None, until: datetime | None = None
) -> list[tuple[str, str, int]]:
    """(Shanghai day, topic, mentions) of one SKU, for the counts-over-time view."""
    day = local_day(session, VocMention.mentioned_at)
    rows = session.execute(
        select(day, VocMention.topic, func.count())
        .where(VocMention.sku_id == sku_id, *_period(VocMention.mentioned_at, since, until))
        .group_by(day, VocMention.topic)
        .order_by(day)
    )
    return [(str(d), topic, count) for d, topic, count in rows]


def overrules_of(session: Session, session_id: int) -> list[QcOverrule]:
    return list(
        session.scalars(select(QcOverrule).where(QcOverrule.session_id == session_id).order_by(QcOverrule.id))
    )


def alert_of(session: Session, session_id: int) -> QcAlert | None:
    return session.scalar(select(QcAlert).where(QcAlert.session_id == session_id))


def checkpoint_overrides(session: Session, shop_id: int) -> list[QcCheckpointSetting]:
    return list(session.scalars(select(QcCheckpointSetting).where(QcCheckpointSetting.shop_id == shop_id)))
