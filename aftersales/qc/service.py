"""Inspection on ingest: analyse new customer messages, score the session, raise alerts, record VOC.

Called by the ``MessagesAppended`` handler inside the ingesting transaction, so a
chat that arrives through the API is inspected before the response returns, and an import of
many sessions is inspected in one batch (one model call for all new messages).
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from aftersales.auth.models import User
from aftersales.conversations.models import ChatMessage, ChatSession, Sender
from aftersales.kit.time import utcnow
from aftersales.kit.upsert import insert_ignore, update_by_key, upsert
from aftersales.qc import alerts, repository, risk, voc
from aftersales.qc.checkpoints import Configured, MessageView, SessionView, evaluate, score
from aftersales.qc.errors import FindingNotFoundError, NotOverruledError
from aftersales.qc.models import (
    QcFinding,
    QcMessageAnalysis,
    QcOverrule,
    QcSessionResult,
    QcShopSetting,
    VocMention,
)
from aftersales.qc.settings import configured_checkpoints, shop_setting

INSPECT_CHUNK = 500


def inspect(session: Session, *, session_ids: Sequence[int], message_ids: Sequence[int] = ()) -> None:
    """Analyse the new messages, then (re)score every given session and raise or escalate alerts.

    Inputs of all sessions are loaded in a handful of queries and the findings and results are
    written in one flush: an import of thousands of sessions costs a few statements per batch.
    """
    analysed = analyse_messages(session, message_ids) if message_ids else {}
    for start in range(0, len(session_ids), INSPECT_CHUNK):
        _inspect_chunk(session, list(session_ids[start : start + INSPECT_CHUNK]), analysed)


def _inspect_chunk(session: Session, session_ids: list[int], analysed: dict[int, list[MessageView]]) -> None:
    """``analysed``: message views ``analyse_messages`` already holds (read again otherwise)."""
    chats = repository.sessions(session, session_ids)
    ids = [chat.id for chat in chats]
    order_ids = {chat.order_id for chat in chats if chat.order_id is not None}
    unread = [session_id for session_id in ids if session_id not in analysed]
    facts = InspectionInputs(
        messages={**(repository.message_views_for(session, unread) if unread else {}), **analysed},
        findings=repository.findings_for(session, ids),
        voc=repository.voc_topics_for(session, ids),
        ticketed_orders=repository.orders_with_tickets(session, order_ids),
        return_days=repository.return_days_for(session, order_ids),
    )
    shops = {chat.shop_id for chat in chats}
    configs = {shop_id: configured_checkpoints(session, shop_id) for shop_id in shops}
    settings = {shop_id: shop_setting(session, shop_id) for shop_id in shops}
    writes = FindingWrites()
    results = [
        _inspect_one(chat, (configs[chat.shop_id], settings[chat.shop_id]), facts, writes) for chat in chats
    ]
    session.flush()
    _write_findings(session, writes)
    _write_results(session, results)
    risky = [
        (chat, facts.messages[chat.id]) for chat in chats if any(m.risks for m in facts.messages[chat.id])
    ]
    if risky:
        alerts.raise_for_sessions(session, risky, settings)


@dataclass
class InspectionInputs:
    messages: dict[int, list[MessageView]]
    findings: dict[int, dict[str, repository.FindingRow]]
    voc: dict[int, list[str]]
    ticketed_orders: set[int]
    return_days: dict[int, int]


@dataclass
class FindingWrites:
    """What the inspections of a chunk change in ``qc_findings``, written together: new findings
    (one insert), changed ones (one keyed update) and those of checkpoints no longer configured."""

    new: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)


def _inspect_one(
    chat: ChatSession,
    shop: tuple[list[Configured], QcShopSetting],
    facts: InspectionInputs,
    writes: FindingWrites,
) -> dict[str, Any]:
    """The session's findings (their writes added to ``writes``) and its result row."""
    configured, setting = shop
    messages = facts.messages[chat.id]
    view = SessionView(
        messages=messages,
        first_response_seconds=chat.first_response_seconds,
        max_response_seconds=chat.max_response_seconds,
        has_ticket=chat.ticket_id is not None or chat.order_id in facts.ticketed_orders,
        times_known=chat.times_known,
        no_reason_return_days=facts.return_days.get(chat.order_id) if chat.order_id else None,
        voc_topics=facts.voc.get(chat.id, []),
    )
    outcomes = evaluate(view, configured)
    findings = _store_findings(chat.id, outcomes, facts.findings[chat.id], writes)
    return _result_row(chat, messages, findings, setting)


def analyse_messages(session: Session, message_ids: Sequence[int]) -> dict[int, list[MessageView]]:
    """Emotion (read with the turn before it), risk and VOC of customer messages not analysed yet,
    in one batch. Returns the message views of their sessions with the new analyses in them: one
    read of the sessions' messages serves the turns before, what is not analysed yet, and the
    inspection after."""
    from aftersales.qc import chat_emotion  # jieba and scikit-learn: loaded by the first inspection

    views = repository.message_views_of(session, message_ids)
    turns = _unanalysed_turns(views, set(message_ids))
    if not turns:
        return views
    emotions = chat_emotion.classify(
        [chat_emotion.ChatTurn(m.text, reply, said) for _s, m, reply, said in turns]
    )
    analyses: dict[int, dict[str, Any]] = {}
    for (session_id, message, _reply, _said), feeling in zip(turns, emotions, strict=True):
        hits = risk.detect(message.text)
        analyses[message.id] = {
            "message_id": message.id,
            "session_id": session_id,
            "polarity": feeling.polarity,
            "label": feeling.label,
            "confidence": feeling.confidence,
            "risk_level": risk.highest_level(hits),
            "risks": [_hit_dict(hit) for hit in hits],
            "model_version": chat_emotion.MODEL_VERSION,
        }
    insert_ignore(session, QcMessageAnalysis, list(analyses.values()), conflict_columns=["message_id"])
    _record_voc(session, [(m.id, session_id, m.text, m.sent_at) for session_id, m, _r, _s in turns])
    return {
        session_id: [_with_analysis(m, analyses.get(m.id)) for m in messages]
        for session_id, messages in views.items()
    }


def _unanalysed_turns(
    views: dict[int, list[MessageView]], wanted: set[int]
) -> list[tuple[int, MessageView, str, str]]:
    """(session id, message, the shop's last reply before it, the customer's previous message) of
    the wanted customer messages without an analysis (every analysis has a polarity), by id."""
    turns = []
    for session_id, messages in views.items():
        reply, said = "", ""
        for message in messages:
            if message.sender != Sender.CUSTOMER.value:
                reply = message.text
                continue
            if message.id in wanted and message.polarity is None:
                turns.append((session_id, message, reply, said))
            said = message.text
    return sorted(turns, key=lambda turn: turn[1].id)


def _with_analysis(message: MessageView, analysis: dict[str, Any] | None) -> MessageView:
    if analysis is None:
        return message
    return MessageView(  # not dataclasses.replace, which looks the fields up again for each of thousands
        message.id,
        message.sender,
        message.text,
        message.sent_at,
        message.response_seconds,
        analysis["polarity"],
        analysis["label"],
        analysis["risks"],
    )


def _hit_dict(hit: risk.RiskHit) -> dict[str, Any]:
    return {
        "kind": hit.kind,
        "label": hit.kind_label,
        "level": hit.level,
        "phrase": hit.phrase,
        "start": hit.start,
        "end": hit.end,
    }


def _record_voc(session: Session, rows: list[tuple[int, int, str, Any]]) -> None:
    mentions = [(row, pair) for row in rows for pair in voc.extract(row[2])]
    if not mentions:
        return
    context = repository.voc_context(session, {row[1] for row, _pair in mentions})
    records = []
    for (message_id, session_id, text, sent_at), (topic, keyword) in mentions:
        shop_id, skus = context[session_id]
        records.append(
            {
                "message_id": message_id,
                "session_id": session_id,
                "shop_id": shop_id,
                "sku_id": _sku_for(text, skus),
                "topic": topic,
                "keyword": keyword,
                "mentioned_at": sent_at,
            }
        )
    insert_ignore(session, VocMention, records, conflict_columns=["message_id", "keyword"])


def _sku_for(text: str, skus: list[tuple[int, str]]) -> int | None:
    """The order's SKU the customer names, else its first line (most orders have one item)."""
    for sku_id, name in skus:
        if name and name[:4] in text:
            return sku_id
    return skus[0][0] if skus else None


def inspect_session(session: Session, chat: ChatSession) -> QcSessionResult:
    """Inspect one session now (after an overrule or a configuration change)."""
    inspect(session, session_ids=[chat.id])
    result = session.get(QcSessionResult, chat.id)
    assert result is not None
    return result


@dataclass(frozen=True)
class Scored:
    """What a session's score and failed list read of a finding."""

    code: str
    weight: int
    final_passed: bool | None


REINSPECTED = ("area", "weight", "auto_passed", "final_passed", "message_id", "evidence", "detail")


def _store_findings(
    session_id: int,
    outcomes: list[Any],
    existing: dict[str, repository.FindingRow],
    writes: FindingWrites,
) -> list[Scored]:
    """Replace machine results; a person's overrule stays in force over later re-inspections.
    The writes go to ``writes``, which the caller makes in a few statements for all sessions (a
    new chat has a dozen findings: one ORM object each cost more than the checkpoints themselves);
    a finding whose columns come out the same is not written."""
    current = {configured.checkpoint.code for configured, _ in outcomes}
    writes.stale += [finding.id for code, finding in existing.items() if code not in current]
    findings = []
    for configured, outcome in outcomes:
        row = _new_finding(session_id, configured, outcome)
        finding = existing.get(outcome.code)
        if finding is None:
            writes.new.append(row)
        else:
            if finding.overruled:
                row["final_passed"] = finding.final_passed
            if any(getattr(finding, column) != row[column] for column in REINSPECTED):
                writes.changed.append({"id": finding.id, **{column: row[column] for column in REINSPECTED}})
        findings.append(Scored(outcome.code, configured.weight, row["final_passed"]))
    return findings


def _write_findings(session: Session, writes: FindingWrites) -> None:
    if writes.stale:
        session.execute(delete(QcFinding).where(QcFinding.id.in_(writes.stale)))
    update_by_key(session, QcFinding, writes.changed)
    _expire_held(session, QcFinding, "id", {row["id"] for row in writes.changed})
    upsert(
        session,
        QcFinding,
        writes.new,
        conflict_columns=("session_id", "code"),
        update_columns=[c for c in writes.new[0] if c not in ("session_id", "code")] if writes.new else (),
    )


def _new_finding(session_id: int, configured: Configured, outcome: Any) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "code": outcome.code,
        "area": configured.checkpoint.area,
        "weight": configured.weight,
        "auto_passed": outcome.passed,
        "final_passed": outcome.passed,
        "message_id": outcome.message_id,
        "evidence": outcome.evidence[:200] if outcome.evidence else None,
        "detail": outcome.detail[:500],
        "overruled": False,
    }


def _session_emotion(messages: list[MessageView]) -> tuple[str, str, int]:
    """Most frequent negative cause if the customer was ever upset, else the most frequent praise."""
    negative = [m.label for m in messages if m.polarity == "negative" and m.label]
    if negative:
        return "negative", Counter(reversed(negative)).most_common(1)[0][0], len(negative)
    positive = [m.label for m in messages if m.polarity == "positive" and m.label]
    if positive:
        return "positive", Counter(reversed(positive)).most_common(1)[0][0], 0
    from aftersales.qc.emotion import NEUTRAL_LABEL  # loaded with the model, by then

    return "neutral", NEUTRAL_LABEL, 0


def _result_row(
    chat: ChatSession,
    messages: list[MessageView],
    findings: Sequence[Scored | QcFinding],
    setting: QcShopSetting,
) -> dict[str, Any]:
    """Every column of the session's ``QcSessionResult``, for ``_write_results``."""
    value = score([(f.weight, f.final_passed) for f in findings])
    polarity, label, negatives = _session_emotion(messages)
    hits = [hit for m in messages for hit in m.risks]
    return {
        "session_id": chat.id,
        "shop_id": chat.shop_id,
        "platform": chat.platform.value,
        "agent_id": chat.agent_id,
        "started_at": chat.started_at,
        "score": value,
        "passed": value >= setting.pass_score,
        "emotion_polarity": polarity,
        "emotion_label": label,
        "negative_messages": negatives,
        "risk_level": max((h["level"] for h in hits), key=risk.LEVEL_RANK.__getitem__, default=None),
        "risk_count": len(hits),
        "failed_checkpoints": sorted(f.code for f in findings if f.final_passed is False and f.weight > 0),
        "inspected_at": utcnow(),
    }


def _write_results(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert or replace the sessions' results in one statement (an ORM object each, loaded,
    changed and flushed, cost a chat batch more than the reads of its inputs); results a caller
    already holds are expired, so they show the new values."""
    if not rows:
        return
    columns = [c for c in rows[0] if c != "session_id"]
    upsert(session, QcSessionResult, rows, conflict_columns=("session_id",), update_columns=columns)
    _expire_held(session, QcSessionResult, "session_id", {row["session_id"] for row in rows})


def _expire_held(session: Session, model: type[Any], key: str, written: set[Any]) -> None:
    """Rows written by statements bypass the identity map: expire those a caller already holds."""
    if not written:
        return
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and getattr(obj, key) in written:
            session.expire(obj)


def overrule(session: Session, *, finding_id: int, user: User, passed: bool, reason: str) -> QcFinding:
    """A reviewer sets a checkpoint's result by hand; the change is logged and the score recomputed."""
    finding = session.get(QcFinding, finding_id)
    if finding is None:
        raise FindingNotFoundError(finding_id)
    if finding.final_passed == passed:
        raise NotOverruledError()
    session.add(
        QcOverrule(
            finding_id=finding.id,
            session_id=finding.session_id,
            user_id=user.id,
            old_passed=finding.final_passed,
            new_passed=passed,
            reason=reason,
            created_at=utcnow(),
        )
    )
    finding.final_passed = passed
    finding.overruled = True
    finding.overruled_by_id = user.id
    finding.overruled_at = utcnow()
    finding.overrule_reason = reason
    session.flush()
    chat = session.get(ChatSession, finding.session_id)
    assert chat is not None
    findings = list(session.scalars(select(QcFinding).where(QcFinding.session_id == chat.id)))
    messages = repository.message_views(session, chat.id)
    _write_results(session, [_result_row(chat, messages, findings, shop_setting(session, chat.shop_id))])
    return finding


def reinspect_shop(session: Session, *, shop_id: int, limit: int = 5000) -> int:
    """Score a shop's recent sessions again after its checkpoints changed; returns how many."""
    ids = list(
        session.scalars(
            select(ChatSession.id)
            .where(ChatSession.shop_id == shop_id)
            .order_by(ChatSession.started_at.desc())
            .limit(limit)
        )
    )
    inspect(session, session_ids=ids)
    return len(ids)


def analyse_backlog(session: Session, *, limit: int = 20_000) -> int:
    """Messages that arrived without analysis (e.g. before QC was installed) are analysed now."""
    missing = list(
        session.scalars(
            select(ChatMessage.id)
            .outerjoin(QcMessageAnalysis, QcMessageAnalysis.message_id == ChatMessage.id)
            .where(ChatMessage.sender == Sender.CUSTOMER, QcMessageAnalysis.message_id.is_(None))
            .limit(limit)
        )
    )
    if not missing:
        return 0
    analyse_messages(session, missing)
    sessions = sorted(set(session.scalars(select(ChatMessage.session_id).where(ChatMessage.id.in_(missing)))))
    inspect(session, session_ids=sessions)
    return len(missing)
