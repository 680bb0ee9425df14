"""商品推荐 (seed 001 §多种转化方式): which catalogue SKUs agents recommended to which buyer.

Found at chat ingest: every new agent message of a batch is matched against the active SKUs of its
shop, indexed once per shop (``Matcher``) and kept per process until the catalogue changes
(``shop_matchers``): the SKU codes, standing alone so
``DG-MOUSE`` does not match ``DG-MOUSE2``, and the SKU names of at least ``MIN_NAME_CHARS``
characters, the longest text at each place. A product link counts when it carries the code (``…?id=CODE``). A
SKU of the chat's own order is not a recommendation: the agent is talking about what the buyer
already bought. The recommendations of a batch go in with one insert; a chat recommends a SKU
once (its first mention). Agents can also record one by hand (``recommend``, 推荐商品).
"""

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from aftersales.catalog import repository as catalog_repository
from aftersales.catalog.models import Sku
from aftersales.conversations import conversion, repository
from aftersales.conversations.errors import SkuNotInShopError
from aftersales.conversations.models import ChatSession, ProductRecommendation, RecommendationSource
from aftersales.kit.time import as_utc, utcnow
from aftersales.kit.upsert import insert_ignore

MIN_NAME_CHARS = 4
KEEP_MATCHERS = 1024  # (database, shop) entries per process


class SkuText(NamedTuple):
    """What detection reads of a SKU: plain values, so a matcher outlives the session that read them."""

    id: int
    code: str
    name: str


def _keys(skus: Sequence[SkuText]) -> tuple[dict[str, SkuText], set[str]]:
    """Each text that names a SKU (lower case: its code, its name when long enough) and the codes."""
    by_text: dict[str, SkuText] = {}
    for sku in skus:
        by_text.setdefault(sku.code.lower(), sku)
        if len(sku.name) >= MIN_NAME_CHARS:
            by_text.setdefault(sku.name.lower(), sku)
    return by_text, {sku.code.lower() for sku in skus}


def _alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


@dataclass(frozen=True)
class Matcher:
    """One shop's SKU texts indexed by length, found left to right, the longest at each place.

    The same matches as ``PatternMatcher`` (one alternation of every text, longest first), which
    tries every SKU at every character: detection took 8.5 s for 2,500 agent messages against 2,000
    SKUs, 0.14 s here. A place is tried only when its first two characters start some
    text; then one set lookup per text length, longest first."""

    skus: dict[str, SkuText]
    codes: frozenset[str]
    lengths: tuple[int, ...]  # the texts' lengths, longest first
    heads: frozenset[str]  # the first two characters of each text (the whole of a shorter one)

    def find(self, text: str) -> list[SkuText]:
        lowered, i = text.lower(), 0
        found: dict[int, SkuText] = {}
        while i < len(lowered):
            length = (
                self._longest_at(lowered, i)
                if lowered[i : i + 2] in self.heads or lowered[i] in self.heads
                else 0
            )
            if length:
                sku = self.skus[lowered[i : i + length]]
                found.setdefault(sku.id, sku)
            i += length or 1
        return list(found.values())

    def _longest_at(self, text: str, i: int) -> int:
        for length in self.lengths:
            piece = text[i : i + length]
            if len(piece) == length and piece in self.skus and self._stands_alone(text, i, piece):
                return length
        return 0

    def _stands_alone(self, text: str, i: int, piece: str) -> bool:
        """A code is not part of a longer code: no letter or digit right before or after it."""
        if piece not in self.codes:
            return True
        end = i + len(piece)
        return not (i > 0 and _alnum(text[i - 1])) and not (end < len(text) and _alnum(text[end]))


def matcher(skus: Sequence[SkuText]) -> Matcher | None:
    by_text, codes = _keys(skus)
    if not by_text:
        return None
    lengths = tuple(sorted({len(t) for t in by_text}, reverse=True))
    return Matcher(by_text, frozenset(codes), lengths, frozenset(t[:2] for t in by_text))


@dataclass(frozen=True)
class PatternMatcher:
    """The plain reference for ``Matcher``: one regular expression of every text, longest first."""

    pattern: re.Pattern[str]
    skus: dict[str, SkuText]

    def find(self, text: str) -> list[SkuText]:
        found: dict[int, SkuText] = {}
        for match in self.pattern.finditer(text):
            sku = self.skus[match.group(0).lower()]
            found.setdefault(sku.id, sku)
        return list(found.values())


def pattern_matcher(skus: Sequence[SkuText]) -> PatternMatcher | None:
    by_text, codes = _keys(skus)
    if not by_text:
        return None
    parts = [
        rf"(?<![0-9a-z]){re.escape(text)}(?![0-9a-z])" if text in codes else re.escape(text)
        for text in sorted(by_text, key=lambda t: (-len(t), t))
    ]
    return PatternMatcher(re.compile("|".join(parts), re.IGNORECASE), by_text)


def detect(session: Session, message_ids: Sequence[int], *, shop_ids: Iterable[int]) -> int:
    """Record the SKUs the new agent messages (of chats of ``shop_ids``) recommend; returns how
    many rows were offered. When none of the shops has a SKU on sale, the messages are not read."""
    matchers = shop_matchers(session, shop_ids)
    if not matchers:
        return 0
    messages = repository.agent_messages(session, message_ids)
    if not messages:
        return 0
    bought = repository.order_sku_codes(session, {m[5] for m in messages if m[5] is not None})
    found: dict[tuple[int, int], dict[str, Any]] = {}
    now = utcnow()
    for message_id, session_id, shop_id, agent_id, customer_id, order_id, text, sent_at in messages:
        shop_matcher = matchers.get(shop_id)
        for sku in shop_matcher.find(text) if shop_matcher else []:
            if (order_id, sku.code) in bought:
                continue
            found.setdefault(
                (session_id, sku.id),
                _row(session_id, shop_id, agent_id, customer_id, sku, sent_at, now, message_id=message_id),
            )
    insert_ignore(
        session, ProductRecommendation, list(found.values()), conflict_columns=["session_id", "sku_id"]
    )
    return len(found)


_matchers: dict[tuple[str, int], tuple[str, Matcher | None]] = {}


def shop_matchers(session: Session, shop_ids: Iterable[int]) -> dict[int, Matcher]:
    """The shops' matchers as the session's transaction sees the catalogue; equal to
    ``read_matchers``, without reading and indexing a shop's SKUs again while the catalogue token
    (renewed by every write to ``skus``, in the writer's transaction) is the one they were built
    under. A shop with thousands of SKUs took longer to load as rows than a chat batch to inspect."""
    token = catalog_repository.catalog_version(session)
    database, wanted = str(session.get_bind().engine.url), set(shop_ids)
    found: dict[int, Matcher | None] = {}
    for shop_id in wanted:
        cached = _matchers.get((database, shop_id))
        if cached is not None and cached[0] == token:
            found[shop_id] = cached[1]
    stale = sorted(wanted - set(found))
    if stale:
        fresh = read_matchers(session, stale)
        for shop_id in stale:
            found[shop_id] = fresh.get(shop_id)
            _remember((database, shop_id), token, found[shop_id])
    return {shop_id: m for shop_id, m in found.items() if m is not None}


def _remember(key: tuple[str, int], token: str | None, shop_matcher: Matcher | None) -> None:
    """Keep the matcher (or that the shop has none) under its token; nothing without a version row."""
    if token is None:
        return
    _matchers.pop(key, None)
    _matchers[key] = (token, shop_matcher)
    while len(_matchers) > KEEP_MATCHERS:
        _matchers.pop(next(iter(_matchers)), None)


def read_matchers(session: Session, shop_ids: Iterable[int]) -> dict[int, Matcher]:
    """The reference of ``shop_matchers``: the shops' active SKUs read and indexed now."""
    by_shop: dict[int, list[SkuText]] = defaultdict(list)
    for shop_id, sku_id, code, name in catalog_repository.active_sku_texts(session, shop_ids):
        by_shop[shop_id].append(SkuText(sku_id, code, name))
    return {shop_id: m for shop_id, skus in by_shop.items() if (m := matcher(skus)) is not None}


def _row(
    session_id: int,
    shop_id: int,
    agent_id: int | None,
    customer_id: int | None,
    sku: Sku | SkuText,
    at: datetime,
    now: datetime,
    *,
    message_id: int | None = None,
    source: RecommendationSource = RecommendationSource.DETECTED,
) -> dict[str, Any]:
    return {
        "session_id": session_id,
        "message_id": message_id,
        "shop_id": shop_id,
        "agent_id": agent_id,
        "customer_id": customer_id,
        "sku_id": sku.id,
        "sku_code": sku.code,
        "recommended_at": as_utc(at),
        "source": source,
        "created_at": now,
    }


def recommend(
    session: Session, *, chat: ChatSession, sku_code: str, agent_id: int, at: datetime | None = None
) -> ProductRecommendation:
    """推荐商品 on a chat by hand (a card or a picture the export does not carry as text); a SKU
    the chat already recommends stays as first recorded."""
    sku = session.scalar(select(Sku).where(Sku.shop_id == chat.shop_id, Sku.code == sku_code))
    if sku is None:
        raise SkuNotInShopError(sku_code)
    now = utcnow()
    row = _row(
        chat.id,
        chat.shop_id,
        agent_id,
        chat.customer_id,
        sku,
        at or now,
        now,
        source=RecommendationSource.MANUAL,
    )
    insert_ignore(session, ProductRecommendation, [row], conflict_columns=["session_id", "sku_id"])
    found = session.scalar(
        select(ProductRecommendation).where(
            ProductRecommendation.session_id == chat.id, ProductRecommendation.sku_id == sku.id
        )
    )
    assert found is not None
    return found


def of_chat(session: Session, session_id: int) -> list[tuple[ProductRecommendation, str, bool, int]]:
    """(recommendation, SKU name, bought in the window, fen bought) of one chat, in order."""
    table = cast(Table, ProductRecommendation.__table__)
    query = (
        select(
            ProductRecommendation,
            Sku.name,
            conversion.recommendation_converted(session, table),
            conversion.recommendation_amount(session, table),
        )
        .join(Sku, Sku.id == ProductRecommendation.sku_id)
        .where(ProductRecommendation.session_id == session_id)
        .order_by(ProductRecommendation.recommended_at, ProductRecommendation.id)
    )
    return [(row, name, bool(won), int(fen or 0)) for row, name, won, fen in session.execute(query)]
