"""明星经验萃取: the best-rated agent replies per scene, proposed to supervisors as quick replies.

"Best-rated" is QC's rating of the whole session: only sessions that passed, scored at least
``MIN_SCORE`` and did not end with a negative customer are read. The scene of a reply is the bot
intent of the customer message it answered (the shared intent model, at the bot's confidence
threshold), so a proposal lands in the scenario where quick-reply suggestions will offer it.
Replies shorter than ``MIN_LENGTH`` (greetings, "好的") and texts already in the library are left
out. Accepting one writes it as a quick reply; the text is read again from the message, never
taken from the form.
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.conversations.models import ChatMessage, Sender
from aftersales.kit.errors import InvalidInputError
from aftersales.qc.models import QcSessionResult
from aftersales.selfservice import knowledge, quickreplies
from aftersales.selfservice.intents import get_intents, get_model
from aftersales.selfservice.models import QuickReply
from aftersales.selfservice.schemas import QuickReplyIn
from aftersales.selfservice.settings import get_selfservice_settings

MIN_SCORE = 90
MIN_LENGTH = 12
MAX_LENGTH = 2000  # a quick reply's longest body
SESSIONS_READ = 300
# Exports write pictures, stickers and links as "[图片]"-style placeholders: no scene to read there.
PLACEHOLDER = re.compile(r"\[[^\]]{1,8}\]")


@dataclass(frozen=True)
class Proposal:
    message_id: int
    session_id: int
    agent_id: int | None
    scene: str
    scene_label: str
    question: str
    text: str
    score: int


def _best_sessions(session: Session, *, since: datetime, until: datetime) -> dict[int, int]:
    """Session id → QC score of the period's best sessions."""
    rows = session.execute(
        select(QcSessionResult.session_id, QcSessionResult.score)
        .where(
            QcSessionResult.passed.is_(True),
            QcSessionResult.score >= MIN_SCORE,
            QcSessionResult.emotion_polarity != "negative",
            QcSessionResult.started_at >= since,
            QcSessionResult.started_at < until,
        )
        .order_by(QcSessionResult.score.desc(), QcSessionResult.session_id)
        .limit(SESSIONS_READ)
    )
    return {row.session_id: row.score for row in rows}


def _answered(session: Session, session_ids: list[int]) -> list[tuple[ChatMessage, str]]:
    """Each agent reply with the customer message just before it."""
    messages = session.scalars(
        select(ChatMessage)
        .where(ChatMessage.session_id.in_(session_ids))
        .order_by(ChatMessage.session_id, ChatMessage.sent_at, ChatMessage.id)
    )
    pairs, last_question, current = [], "", None
    for message in messages:
        if message.session_id != current:
            current, last_question = message.session_id, ""
        if message.sender == Sender.CUSTOMER:
            last_question = PLACEHOLDER.sub("", message.text).strip() or last_question
        elif (
            message.sender == Sender.AGENT
            and last_question
            and MIN_LENGTH <= len(message.text.strip()) <= MAX_LENGTH
        ):
            pairs.append((message, last_question))
    return pairs


def proposals(session: Session, *, since: datetime, until: datetime, per_scene: int = 3) -> list[Proposal]:
    """Up to ``per_scene`` replies per scene, best session score first."""
    scores = _best_sessions(session, since=since, until=until)
    known = set(session.scalars(select(QuickReply.body)))
    threshold = get_selfservice_settings().bot_threshold
    labels = {code: intent.label for code, intent in get_intents().items()}
    by_scene: dict[str, list[Proposal]] = defaultdict(list)
    for message, question in _answered(session, list(scores)):
        text = message.text.strip()
        prediction = get_model().predict(question)
        if text in known or prediction.confidence < threshold:
            continue
        known.add(text)
        by_scene[prediction.intent].append(
            Proposal(
                message.id,
                message.session_id,
                message.agent_id,
                prediction.intent,
                labels.get(prediction.intent, "通用"),
                question,
                text,
                scores[message.session_id],
            )
        )
    ranked = (
        sorted(found, key=lambda p: (-p.score, p.message_id))[:per_scene] for found in by_scene.values()
    )
    return sorted((p for scene in ranked for p in scene), key=lambda p: (p.scene_label, -p.score))


def accept(session: Session, *, message_id: int, scene: str, shortcut: str) -> QuickReply:
    """The agent reply becomes a quick reply of ``scene`` under ``/shortcut``."""
    message = session.get(ChatMessage, message_id)
    if message is None or message.sender != Sender.AGENT:
        raise InvalidInputError("message_id", "不是客服回复")
    label = get_intents()[scene].label if scene in get_intents() else None
    if label is None:
        raise InvalidInputError("scene", f"未知的场景: {scene}")
    data = QuickReplyIn(
        scenario=scene,
        shortcut=shortcut,
        title=f"{label}(明星话术)",
        body=message.text.strip(),
        keywords=knowledge.tokens(label)[:5],
    )
    return quickreplies.create(session, data=data)
