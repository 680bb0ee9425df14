"""Each shop's FAQ for the answer bot: the stock answer per intent, edited by supervisors.

Lookup order: the shop's own entry, then the default entry (``shop_id`` NULL, seeded from the
packaged ``data/bot_faq.yaml`` by migration 0601 and ``aftersales selfservice seed-faq``), then
the packaged file itself for an intent added to the dataset after seeding. The classifier stays
shared: shops change what the bot says, not what it understands.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop
from aftersales.kit.errors import NotFoundError
from aftersales.kit.refs import require_refs
from aftersales.kit.time import utcnow
from aftersales.selfservice import knowledge
from aftersales.selfservice.intents import get_intents
from aftersales.selfservice.models import BotFaqEntry


@dataclass(frozen=True)
class FaqAnswer:
    intent: str
    label: str
    answer: str
    source: str  # "shop", "default" or "packaged"


def _entries(session: Session, shop_id: int | None) -> dict[tuple[int | None, str], BotFaqEntry]:
    """The default entries and the shop's own, keyed by (shop id or None, intent)."""
    owner: ColumnElement[bool] = BotFaqEntry.shop_id.is_(None)
    if shop_id is not None:
        owner = or_(owner, BotFaqEntry.shop_id == shop_id)
    return {(row.shop_id, row.intent): row for row in session.scalars(select(BotFaqEntry).where(owner))}


def shop_faq(session: Session, *, shop_id: int | None) -> list[FaqAnswer]:
    """Every intent's answer as the shop's customers get it, with where it comes from.

    The knowledge base's current version comes before the FAQ row of the same owner."""
    entries = {key: row.answer for key, row in _entries(session, shop_id).items()}
    articles = knowledge.answers(session, shop_id=shop_id)
    answers = []
    for code, intent in get_intents().items():
        own = (articles.get((shop_id, code)) or entries.get((shop_id, code))) if shop_id is not None else None
        default = articles.get((None, code)) or entries.get((None, code))
        if own is not None:
            answers.append(FaqAnswer(code, intent.label, own, "shop"))
        elif default is not None:
            answers.append(FaqAnswer(code, intent.label, default, "default"))
        else:
            answers.append(FaqAnswer(code, intent.label, intent.answer, "packaged"))
    return answers


def answer_of(session: Session, *, shop_id: int | None, intent: str) -> FaqAnswer:
    """The FAQ answer the asking shop gives for ``intent`` (its own, else the default)."""
    _require_intent(intent)
    return next(a for a in shop_faq(session, shop_id=shop_id) if a.intent == intent)


def _require_intent(intent: str) -> None:
    if intent not in get_intents():
        raise NotFoundError(f"未知的问题类型: {intent}")


def save_answer(
    session: Session, *, shop_id: int | None, intent: str, answer: str, user_id: int | None
) -> BotFaqEntry:
    """Set the shop's answer (or the default one with ``shop_id`` None) for a known intent."""
    require_refs(session, {"shop_id": (Shop, shop_id)})
    _require_intent(intent)
    entry = _entries(session, shop_id).get((shop_id, intent))
    if entry is None:
        entry = BotFaqEntry(shop_id=shop_id, intent=intent)
        session.add(entry)
    entry.answer = answer
    entry.updated_by = user_id
    entry.updated_at = utcnow()
    knowledge.record_answer(session, shop_id=shop_id, intent=intent, answer=answer, author_id=user_id)
    session.flush()
    return entry


def reset_answer(session: Session, *, shop_id: int, intent: str) -> None:
    """Drop the shop's own answer: its customers get the default one again."""
    _require_intent(intent)
    entry = _entries(session, shop_id).get((shop_id, intent))
    knowledge.drop_answer(session, shop_id=shop_id, intent=intent)
    if entry is not None:
        session.delete(entry)
        session.flush()


def seed_defaults(session: Session) -> int:
    """Default entries from the packaged dataset for intents that have none; returns how many."""
    existing = set(session.scalars(select(BotFaqEntry.intent).where(BotFaqEntry.shop_id.is_(None))))
    missing = [intent for code, intent in get_intents().items() if code not in existing]
    session.add_all(BotFaqEntry(shop_id=None, intent=i.code, answer=i.answer) for i in missing)
    session.flush()
    return len(missing)
