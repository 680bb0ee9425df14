import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aftersales.catalog.models import Shop, Sku
from aftersales.kit.time import utcnow
from aftersales.reviews.models import Review
from aftersales.reviews.schemas import ReviewIn
from aftersales.reviews.service import ingest_reviews
from tests.builders.catalog import make_shop

_seq = itertools.count(1)


def review_in(*, shop: Shop, sku: Sku | None = None, **overrides: Any) -> ReviewIn:
    n = next(_seq)
    fields: dict[str, Any] = {
        "shop_code": shop.code,
        "review_id": f"RV{n:010d}",
        "sku_code": sku.code if sku else None,
        "buyer": f"reviewer{n}",
        "stars": 5,
        "text": "质量很好,很满意",
        "reviewed_at": utcnow() - timedelta(hours=n % 48),
        **overrides,
    }
    return ReviewIn(**fields)


def make_review(
    session: Session,
    *,
    shop: Shop | None = None,
    sku: Sku | None = None,
    reviewed_at: datetime | None = None,
    **overrides: Any,
) -> Review:
    """A review ingested through the service, so triage, drafts and tickets apply as in production."""
    shop = shop or (sku and session.get(Shop, sku.shop_id)) or make_shop(session)
    if reviewed_at is not None:
        overrides["reviewed_at"] = reviewed_at
    data = review_in(shop=shop, sku=sku, **overrides)
    ingest_reviews(session, [data])
    review = session.scalars(
        select(Review).where(Review.platform == shop.platform, Review.source_id == data.review_id)
    ).one()
    session.refresh(review)
    return review
