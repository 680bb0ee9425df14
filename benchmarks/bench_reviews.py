"""Issue 7: triage + reply drafts for a batch of reviews (goal ≥ 2,000 reviews/s), on SQLite.

Reviews are stored first (not timed), then processed as ingestion does, in batches of 5,000:
triage (stars, the QC emotion model on the 4-5-star texts, jieba aspects, VOC topics), the
professional bad-reviewer refresh and the drafts. Opening the supervisors' tickets for the
negative side is measured separately: it goes through the tickets domain one ticket at a time.
Texts are recombined clauses (``reviews.samples``), so the emotion model's cache is not flattered.
"""

import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Platform, Shop, Sku
from aftersales.db import make_engine
from aftersales.kit.upsert import upsert
from aftersales.reviews import aspects, sentiment
from aftersales.reviews.models import ReplyStatus, Review, Triage
from aftersales.reviews.samples import draw_kind, sample_review
from aftersales.reviews.service import draft_replies, refresh_reviewer_marks, triage_reviews
from aftersales.reviews.tickets_link import open_review_tickets
from benchmarks.figures import Figure, scratch_sqlite

BATCH = 5000
CATEGORIES = ("床品", "电脑", "摄像头", "耳机", "洗护", "纸尿裤")


def _catalogue(session: Session) -> tuple[Shop, list[Sku]]:
    shop = Shop(code="bench", name="评价压测店", platform=Platform.JD)
    session.add(shop)
    session.flush()
    skus = [
        Sku(
            shop_id=shop.id,
            code=f"SKU-{n}",
            name=f"{category}款{n}",
            category=category,
            price_fen=19900,
            specs={},
            selling_points=[f"{category}卖点{k}" for k in range(3)],
        )
        for n, category in enumerate(CATEGORIES * 2)
    ]
    session.add_all(skus)
    session.flush()
    return shop, skus


def _rows(shop: Shop, skus: list[Sku], count: int) -> list[dict[str, object]]:
    rng = random.Random(7)
    start = datetime(2026, 11, 12, tzinfo=UTC)
    rows = []
    for n in range(count):
        sku = rng.choice(skus)
        sample = sample_review(rng, category=sku.category, kind=draw_kind(rng))
        rows.append(
            {
                "shop_id": shop.id,
                "platform": shop.platform,
                "source_id": f"R{n:09d}",
                "sku_id": sku.id,
                "sku_code": sku.code,
                "buyer": f"buyer{rng.randrange(count // 3 + 1)}",
                "order_no": f"O{n:09d}",
                "stars": sample.stars,
                "text": sample.text,
                "images_count": rng.choice((0, 0, 1, 3)),
                "reviewed_at": start + timedelta(seconds=n * 7),
                "triage": Triage.PENDING,
                "is_mismatch": False,
                "praised": [],
                "complaints": [],
                "demands_compensation": False,
                "reply_status": ReplyStatus.NONE,
                "created_at": start,
                "updated_at": start,
            }
        )
    return rows


def _process(session: Session, ids: list[int]) -> list[int]:
    """What ingestion runs after the upsert, minus tickets; returns the ids needing a supervisor."""
    flagged: list[int] = []
    for i in range(0, len(ids), BATCH):
        reviews = triage_reviews(session, ids[i : i + BATCH])
        refresh_reviewer_marks(session, {(str(r.platform), r.buyer) for r in reviews if r.buyer})
        draft_replies(session, reviews)
        flagged += [r.id for r in reviews if r.needs_approval]
    return flagged


def run(full: bool) -> list[Figure]:
    count = 100_000 if full else 10_000
    aspects.warm_up()
    sentiment.classify(["预热"])
    with scratch_sqlite() as url:
        engine = make_engine(url)
        with Session(engine) as session:
            shop, skus = _catalogue(session)
            upsert(
                session,
                Review,
                _rows(shop, skus, count),
                conflict_columns=("platform", "source_id"),
                update_columns=(),
            )
            session.commit()
            ids = list(session.scalars(select(Review.id).order_by(Review.id)))
            started, cpu_started = time.perf_counter(), time.process_time()
            flagged = _process(session, ids)
            session.commit()
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            sample = flagged[:2000]
            started = time.perf_counter()
            open_review_tickets(session, [r for r in triage_reviews(session, sample) if r.needs_approval])
            session.commit()
            ticket_elapsed = time.perf_counter() - started
        engine.dispose()
    return [
        Figure(
            f"triage + draft {count:,} reviews (SQLite)",
            count / elapsed,
            "reviews/s",
            "≥ 2,000/s",
            note=f"{len(flagged):,} flagged for supervisors",
        ),
        Figure(
            "  same, per CPU second of this process",
            count / cpu,
            "reviews/s",
            note="wall time suffers when the shared cores are busy",
        ),
        Figure(
            f"open supervisor tickets ({len(sample):,} flagged reviews)",
            len(sample) / ticket_elapsed,
            "reviews/s",
            note="incl. re-triage of the sample",
        ),
    ]
